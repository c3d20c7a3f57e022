"""A period a client's view is read for: from its start, before its end (``occurredFrom``
and ``occurredTo``, ``startedFrom`` and ``startedTo``, ``recordedFrom`` and ``recordedTo``,
``raisedFrom`` and ``raisedTo``).

Given at both ends with its end at or before its start (the two swapped, an offset misread)
it holds nothing, and the empty timeline, check-in series, safety events, care team,
consents or alerts it was answered with read, to a clinician who swapped the two, as a
period in which nothing happened. It is refused naming its end, as a reversed range of days
is (``day_ranges.py``) and an export's period is.
"""

from __future__ import annotations

from datetime import datetime

from carecoord.projections.audit.export import Period
from carecoord.services.kernel.errors import InvalidInput

RULE = "period-end-after-start"


def in_order(ends: tuple[str, str], start: datetime | None, end: datetime | None) -> Period:
    """The period from ``start`` before ``end``; refused, naming the end (``ends``: the two
    arguments' names), when it holds nothing."""
    within = Period(start, end)
    if within.holds_nothing():
        first, last = ends
        raise InvalidInput(
            last, RULE, f"{last} {end} is not after {first} {start}: nothing is in it"
        )
    return within
