"""A period a client's view is read for: from its start, before its end (``occurredFrom``
and ``occurredTo``, ``startedFrom`` and ``startedTo``, ``recordedFrom`` and ``recordedTo``,
``raisedFrom`` and ``raisedTo``).

Given at both ends with its end at or before its start (the two swapped, an offset misread)
it holds nothing, and the empty timeline, check-in series, safety events, care team,
consents or alerts it was answered with read, to a clinician who swapped the two, as a
period in which nothing happened. It is refused naming its end, as a reversed range of days
is (``day_ranges.py``) and an export's period is. So is one ending before anything can be
recorded (``recordedTo: 0001-01-01``, no time of an event falls before 1900), answered empty
and logged as a read of the client.
"""

from __future__ import annotations

from datetime import datetime

from carecoord.projections.audit.export import RECORDS_BEGIN, Period
from carecoord.services.kernel.errors import InvalidInput

RULE = "period-end-after-start"
BEFORE_RECORDS = "period-after-records-begin"
OCCURRED = ("occurredFrom", "occurredTo")


def in_order(ends: tuple[str, str], start: datetime | None, end: datetime | None) -> Period:
    """The period from ``start`` before ``end``; refused, naming the end (``ends``: the two
    arguments' names), when it holds nothing or ends before anything is recorded."""
    within = Period(start, end)
    first, last = ends
    if within.holds_nothing():
        raise InvalidInput(
            last, RULE, f"{last} {end} is not after {first} {start}: nothing is in it"
        )
    if within.ends_before_records():
        raise InvalidInput(
            last,
            BEFORE_RECORDS,
            f"{last} {end} ends before anything can be recorded ({RECORDS_BEGIN.isoformat()}):"
            f" nothing is in it; give the end of the period, or leave {last} out",
        )
    return within


def occurred(occurred_from: datetime | None = None, occurred_to: datetime | None = None) -> None:
    """A client query's ``checks`` (``declared.client_query``) of a period things occurred
    in, refused before the view is read."""
    in_order(OCCURRED, occurred_from, occurred_to)
