"""Who stopped or struck out an entry, and when, as a refusal quotes it.

A record folds events without knowing the program's time zone, so it keeps the instant; the
decision that quotes the note (it has the stamp or the tables, and so the zone) names the
program's day, not UTC's: an order stopped at 20:00 in Los Angeles reads as stopped that day.

The reason given is not kept: a refusal is shown to whoever asked and may reach logs and
traces, and a reason is free text a clinician wrote, shown only to readers whose grant holds
it (docs/access.md); the refusal names the field it is read in instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from carecoord.services.kernel.program_day import program_day


@dataclass(frozen=True, slots=True)
class Marked:
    at: datetime
    by: str
    """The acting user's id."""

    def note(self, zone: tzinfo, reason_in: str = "") -> str:
        """``on <the program's day> by <user>[ (its reason is <reason_in>)]``."""
        where = f" (its reason is {reason_in})" if reason_in else ""
        return f"on {program_day(self.at, zone)} by {self.by}{where}"
