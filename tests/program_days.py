"""Moments whose program day and UTC day differ: for tests that a day is the program's
(``program_time_zone``), not UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

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
