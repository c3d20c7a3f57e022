"""A log of a range of days read a page at a time, as ``clientTimeline`` is: ``first`` rows
after the cursor ``after``, and ``pageInfo`` saying whether more follow and where.

The 366 days a read may span (``day_ranges.py``) are a year of a busy program's dosing, far
more rows than one response should hold (rows and CSV, in memory twice). A read answers at
most ``MAX_ROWS``: without ``first`` the range whole, as before paging, and refused past
``MAX_ROWS`` rather than cut short, since a log read as whole that is not is worse than a
refusal. A cursor holds the last row's place in the log's order, a key no two rows share
and none changes, so a pass of pages repeats no row and misses none there when it began,
whatever is appended meanwhile; it names its log, and another log's cursor is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

import strawberry

from carecoord.events.bounds import NOTE_MAX, text_problem
from carecoord.graphql.page_info import PageInfo
from carecoord.services.kernel.errors import InvalidInput

MAX_ROWS = 5000
"""The most rows one read of a log answers."""

First = Annotated[
    int | None,
    strawberry.argument(
        description=f"A page of at most this many rows (1 to {MAX_ROWS}), the next after"
        f" pageInfo.endCursor; without it the range whole, refused past {MAX_ROWS} rows."
    ),
]
WHOLE_OR_PAGED = (
    f"in order, the range whole (at most {MAX_ROWS} rows) or a page at a time with first and after."
)
"""What a paged log's description says of its pages."""
PAGE_CSV = "The rows of this page, under a header line."

After = Annotated[
    str | None,
    strawberry.argument(description="The rows after this cursor: a page's pageInfo.endCursor."),
]

R = TypeVar("R", bound=Mapping[str, Any])
Key = tuple[Any, ...]


def not_a_cursor() -> InvalidInput:
    return InvalidInput("after", "cursor", "not a cursor returned by this API")


def instant(text: str) -> datetime:
    """A time a cursor holds: the API writes each with its UTC offset, so one without it
    was not made here (compared with the rows' times it failed, or was read in the
    database session's zone)."""
    found = datetime.fromisoformat(text)
    if found.tzinfo is None:
        raise ValueError(text)
    return found


def bounded_int(bits: int) -> Callable[[str], int]:
    """A parser of an integer column of ``bits`` bits: a larger one in a cursor was sent to
    PostgreSQL and failed the read as an internal error."""
    most = 2 ** (bits - 1)

    def parse(text: str) -> int:
        value = int(text)
        if not -most <= value < most:
            raise ValueError(text)
        return value

    return parse


bigint = bounded_int(64)
"""A position in a cursor."""
PLACE = (bigint, bounded_int(32))
"""The parsers of an entry's place in a cursor: its position and its ``seq`` there."""


class LogOrder:
    """The order a log's rows are read in: the ``columns`` of its key, each read back from a
    cursor by its ``parsers``."""

    def __init__(self, log: str, columns: Sequence[str], parsers: Sequence[Callable[[str], Any]]):
        self.log = log
        self.columns = tuple(columns)
        self.parsers = tuple(parsers)

    def cursor(self, row: Mapping[str, Any]) -> str:
        raw = json.dumps([self.log, *(str(row[c]) for c in self.columns)])
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def place(self, row: Mapping[str, Any]) -> Key:
        """The place ``row`` holds, as its cursor would give it back."""
        return tuple(row[c] for c in self.columns)

    def key(self, cursor: str) -> Key:
        """The place a cursor holds; one another log made is refused, as it holds no
        place in this one."""
        try:
            decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        except (ValueError, TypeError, RecursionError):  # [[[[...: the decoder's stack ran out
            raise not_a_cursor() from None
        # The API writes a list: a string or an object unpacks as well, by its letters or
        # keys, and read as another log's cursor, or as this one's place.
        if not isinstance(decoded, list) or not decoded:
            raise not_a_cursor()
        log, *values = decoded
        if log != self.log:
            message = f"this cursor pages another log, not {self.log}"
            raise InvalidInput("after", "cursor-log", message)
        # The API writes each value as text the store held: a list, a number or a NUL in
        # one was made elsewhere, and reached the parsers or the query as it was.
        if not all(isinstance(v, str) and text_problem(v, NOTE_MAX) is None for v in values):
            raise not_a_cursor()
        try:
            return tuple(parse(v) for parse, v in zip(self.parsers, values, strict=True))
        except (ValueError, TypeError):
            raise not_a_cursor() from None


def asked(order: LogOrder, first: int | None, after: str | None, most: int) -> Key | None:
    """The place after which a page is asked for, once ``first`` is within 1 to ``most``:
    each refusal of it is the request's own, known before anything is read, so one checked
    first records nothing."""
    if first is not None and not 1 <= first <= most:
        raise InvalidInput("first", "page-size", f"first must be between 1 and {most}")
    return None if after is None else order.key(after)


async def paged(
    order: LogOrder,
    first: int | None,
    after: str | None,
    read: Callable[[Key | None, int], Awaitable[list[R]]],
    *,
    most: int | None = None,
    unit: str = "rows",
) -> tuple[list[R], PageInfo]:
    """The page ``read(key after, limit)`` answers, and its ``PageInfo``. Refused before
    anything is read: what ``asked`` refuses; once read, before anything is returned, and
    so logged: a range past ``most`` (``MAX_ROWS``) ``unit`` read without it."""
    most = MAX_ROWS if most is None else most
    place = asked(order, first, after, most)
    limit = most if first is None else first
    rows = await read(place, limit + 1)
    if first is None and len(rows) > limit:
        raise InvalidInput(
            "first",
            "rows-at-most",
            f"the range holds more than {most} {unit}, the most one read answers: read it"
            f" a page at a time (first, then after the page's pageInfo.endCursor)",
        )
    page = rows[:limit]
    end = order.cursor(page[-1]) if page else None
    return page, PageInfo(has_next_page=len(rows) > limit, end_cursor=end)
