"""Moments whose program day and UTC day differ: for tests that a day is the program's
(``program_time_zone``), not UTC's. And moments a little before now that stay on now's
program day, for tests that run on the real clock at any hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from carecoord.services.kernel.program_day import program_day

PARTED = {"America/Los_Angeles": time(20), "Asia/Kolkata": time(3)}
"""In each of conftest's ``PROGRAM_ZONES``, a time of the program's day whose UTC day is
another (the next in Los Angeles, the one before in Kolkata)."""
AHEAD, BEHIND = ZoneInfo("Etc/GMT-14"), ZoneInfo("Etc/GMT+12")
"""26 hours apart: at any moment, at least one of them is on another day than UTC."""


def parted(on: date, zone: tzinfo) -> datetime:
    """That time of ``on`` in ``zone``, in UTC as the API records it."""
    moment = datetime.combine(on, PARTED[str(zone)], zone).astimezone(UTC)
    assert moment.date() != on
    return moment


def parted_now() -> ZoneInfo:
    """A zone whose today is not UTC's: for a test that runs on the real clock, where Los
    Angeles and Kolkata are on UTC's day for much of it."""
    now = datetime.now(UTC)
    return AHEAD if now.astimezone(AHEAD).date() != now.date() else BEHIND


def earlier_today(now: datetime, zone: tzinfo, *minutes: float) -> list[datetime]:
    """``now`` less each of ``minutes``, in their order, all on ``now``'s program day in
    ``zone``: "this morning, half an hour ago" for a test on the real clock. In the day's
    first minutes, where the earliest would be on the day before, they are drawn in between
    the day's start and ``now``, in the same order, and so on the same side of one another
    (before or after a stop) as they were: each on a whole minute of its own once the day
    has one for each, since charting times are minutes (a dose in the minute its order was
    written is after it), else each as far back as its share of the earliest."""
    start = datetime.combine(program_day(now, zone), time(), zone)
    earliest = timedelta(minutes=max(minutes))
    if now - start >= earliest:
        return [now - timedelta(minutes=m) for m in minutes]
    whole = (now - start) // timedelta(minutes=1)
    distinct = sorted(set(minutes), reverse=True)
    if len(distinct) - 1 > whole:
        scale = (now - start) / earliest
        return [now - timedelta(minutes=m) * scale for m in minutes]
    step = whole / max(len(distinct) - 1, 1)
    placed = {m: start + timedelta(minutes=round(i * step)) for i, m in enumerate(distinct)}
    return [placed[m] for m in minutes]
