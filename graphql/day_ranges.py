"""A range of the program's days a log or ledger is read for: its last day not before its
first. Read reversed, it holds no day, and the empty DEA dispensing log, stock ledger or
biennial inventory it answered read, to an inspector who swapped the two, as days in which
nothing happened."""

from __future__ import annotations

from datetime import date

from carecoord.services.kernel.errors import InvalidInput


def in_order(from_day: date, to_day: date) -> None:
    """Refuse a ``toDay`` before ``fromDay`` (one day is both)."""
    if to_day < from_day:
        raise InvalidInput(
            "toDay",
            "days-in-order",
            f"toDay {to_day} is before fromDay {from_day}: no day is in the range",
        )
