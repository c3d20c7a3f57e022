"""A range of days answered whole, with no page to go on: a client's dosing, whose totals and
marks are derived across its rows (a dose and its mark of entered in error, a day missed and
the dose charted for it later), which a page could split, and a site's discrepancies, a
list with no page to carry a cursor. It is held to the bounds of the paged logs
instead: at most ``MAX_DAYS`` days (``day_ranges.py``) and at most ``MAX_ROWS`` rows
(``log_pages.py``), refused past either rather than cut short. A bound left open runs to the
rows' own first or last day, so a short history still reads whole without a range, as
before the bound.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from carecoord.graphql import day_ranges, log_pages
from carecoord.services.kernel.errors import InvalidInput

R = TypeVar("R", bound=Mapping[str, Any])


def given(from_day: date | None, to_day: date | None) -> None:
    """Refuse, before anything is read, a range given at both ends that is too long or
    reversed (``day_ranges.bounded``)."""
    if from_day is not None and to_day is not None:
        day_ranges.bounded(from_day, to_day)


def at_most_rows(
    rows: list[R], ends: tuple[str, str] = ("fromDay", "toDay"), steps: str | None = None
) -> list[R]:
    """``rows``, read with a limit of ``MAX_ROWS`` + 1; refused past ``MAX_ROWS``, naming
    the range's last end (``rows-at-most``). With ``steps``, each row counts with the
    steps of its list ``steps`` (a goal's progress, each a row of the read)."""
    most = log_pages.MAX_ROWS
    if len(rows) + sum(len(r[steps]) for r in rows if steps) > most:
        raise InvalidInput(
            ends[1],
            "rows-at-most",
            f"the range holds more than {most} rows, the most one read answers: read it as"
            f" shorter ranges ({', '.join(ends)})",
        )
    return rows


async def whole(
    from_day: date | None,
    to_day: date | None,
    read: Callable[[int], Awaitable[list[R]]],
    *,
    spanned: bool = True,
) -> list[R]:
    """The rows ``read(limit)`` finds for a range ``given`` let through, in its order;
    refused past ``MAX_ROWS`` rows (``toDay``, ``rows-at-most``), and, with ``spanned``, a
    range left open at an end whose rows span more than ``MAX_DAYS`` days (naming the end
    left open, ``days-at-most``)."""
    rows = at_most_rows(await read(log_pages.MAX_ROWS + 1))
    if rows and spanned and (from_day is None or to_day is None):
        days = [r["day"] for r in rows]
        first, last = from_day or min(days), to_day or max(days)
        span = (last - first).days + 1
        if span > day_ranges.MAX_DAYS:
            raise InvalidInput(
                "fromDay" if from_day is None else "toDay",
                "days-at-most",
                f"the rows run from {first} to {last}, {span} days; a read answers at most"
                f" {day_ranges.MAX_DAYS}: give fromDay and toDay, and read the rest as"
                " another range",
            )
    return rows
