"""Plausible clinical times: what a person says happened has happened by now, and not
before the client was enrolled.

A request may give the clinical time of what it records (``occurredAt``, ``givenAt``,
``handedOverAt``, ``stoppedAt``): late entries and a nurse's note of the time on the dose
sheet are normal. A time in the future is not: it is refused beyond a clock tolerance
of five minutes (a workstation's clock runs a little ahead), and so is a time before
the client's enrolment, which the record could not have held. Every refusal names the
field and the bound.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import overload

from carecoord.services.kernel.errors import InvalidInput

CLOCK_TOLERANCE = timedelta(minutes=5)
IN_FUTURE = "not-in-future"
BEFORE_ENROLMENT = "after-enrolment"


def plausible(
    field: str, moment: datetime | None, *, now: datetime, enrolled_at: datetime | None
) -> None:
    """Refuse ``moment`` if it is after ``now`` plus the tolerance, or before enrolment."""
    if moment is None:
        return
    latest = now + CLOCK_TOLERANCE
    if moment > latest:
        raise InvalidInput(
            field,
            IN_FUTURE,
            f"{field} {_at(moment)} is in the future: at most"
            f" {CLOCK_TOLERANCE.seconds // 60} minutes past now ({_at(now)}) are accepted",
        )
    after_enrolment(field, moment, enrolled_at)


@overload
def happened(
    field: str, moment: datetime, *, now: datetime, enrolled_at: datetime | None
) -> datetime: ...
@overload
def happened(
    field: str, moment: datetime | None, *, now: datetime, enrolled_at: datetime | None
) -> datetime | None: ...
def happened(
    field: str, moment: datetime | None, *, now: datetime, enrolled_at: datetime | None
) -> datetime | None:
    """The time to record for ``moment`` (``plausible``): one within the tolerance ahead is
    ``now``, so what is recorded after it is never dated before it, and the day it falls on
    is the day it was charted, not one that has not begun."""
    plausible(field, moment, now=now, enrolled_at=enrolled_at)
    return None if moment is None else min(moment, now)


def after_enrolment(
    field: str, moment: datetime, enrolled_at: datetime | None, whose: str = "the client's"
) -> None:
    """Refuse ``moment`` before enrolment; alone for a time that may lie ahead (a booking).
    ``whose`` names the client when a request is about several (a group session)."""
    if enrolled_at is not None and moment < enrolled_at:
        raise InvalidInput(
            field,
            BEFORE_ENROLMENT,
            f"{field} {_at(moment)} is before {whose} enrolment ({_at(enrolled_at)});"
            " nothing is recorded for a time before it",
        )


def day_after_enrolment(field: str, day: date, enrolled_on: date, nothing: str) -> None:
    """Refuse a day a person writes down (a guest stay's start, a consent's signing) before
    the program's day of enrolment: the record held nothing then. ``nothing`` says what is
    not done for such a day."""
    if day < enrolled_on:
        raise InvalidInput(
            field,
            BEFORE_ENROLMENT,
            f"{field} {day} is before the client's enrolment ({enrolled_on}); {nothing}",
        )


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


STOP_BACKDATE = timedelta(days=30)
"""How far back a stop may be dated: a medication stopped longer ago than this was
missed by the record for a month; correct it (an order entered in error, a new statement)
rather than rewrite the exposure history the interaction checks already relied on."""
STOP_TOO_EARLY = "stop-backdate-limit"


def plausible_stop(field: str, moment: datetime, *, now: datetime) -> None:
    """A stop time: not in the future (beyond the tolerance), not more than 30 days back."""
    plausible(field, moment, now=now, enrolled_at=None)
    earliest = now - STOP_BACKDATE
    if moment < earliest:
        raise InvalidInput(
            field,
            STOP_TOO_EARLY,
            f"{field} {_at(moment)} is more than {STOP_BACKDATE.days} days back; the earliest"
            f" accepted is {_at(earliest)}",
        )
