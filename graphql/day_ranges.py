"""A range of the program's days a log or ledger is read for: its last day not before its
first. Read reversed, it holds no day, and the empty DEA dispensing log, stock ledger or
biennial inventory it answered read, to an inspector who swapped the two, as days in which
nothing happened.

The logs that answer a range whole (the DEA dispensing log, the lot ledger, the medication
safety log, a site's stock ledger, counts and biennial inventory) answer at most ``MAX_DAYS``
of it: a range of years came back in one response, held in memory twice (rows and CSV). A
longer period is read a range at a time."""

from __future__ import annotations

from datetime import date, timedelta

from carecoord.services.kernel.errors import InvalidInput


def in_order(from_day: date, to_day: date) -> None:
    """Refuse a ``toDay`` before ``fromDay`` (one day is both)."""
    if to_day < from_day:
        raise InvalidInput(
            "toDay",
            "days-in-order",
            f"toDay {to_day} is before fromDay {from_day}: no day is in the range",
        )


MAX_DAYS = 366
"""The most days one read of a log answers: a year, a leap one too."""


def bounded(from_day: date, to_day: date) -> None:
    """``in_order``, and refuse a range of more than ``MAX_DAYS`` days, naming ``toDay``."""
    in_order(from_day, to_day)
    days = (to_day - from_day).days + 1
    if days > MAX_DAYS:
        last = from_day + timedelta(days=MAX_DAYS - 1)
        raise InvalidInput(
            "toDay",
            "days-at-most",
            f"fromDay {from_day} to toDay {to_day} is {days} days; a read answers at most"
            f" {MAX_DAYS} (toDay {last} at the latest): read the rest as another range",
        )


def last_days(to_day: date) -> date:
    """The first day of the longest range that ends on ``to_day``, or the calendar's first
    day when that range would start before it (a ``toDay`` in year 1 overflowed ``date``)."""
    return date.fromordinal(max(1, to_day.toordinal() - (MAX_DAYS - 1)))
