"""Who stopped or struck out an entry, and when, as a refusal quotes it.

A record folds events without knowing the program's time zone, so it keeps the instant; the
decision that quotes the note (it has the stamp or the tables, and so the zone) names the
program's day, not UTC's: an order stopped at 20:00 in Los Angeles reads as stopped that day.
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
    reason: str = ""
    """Left out where the reason may carry clinical content (a check-in's)."""

    def note(self, zone: tzinfo) -> str:
        """``on <the program's day> by <user>[: <reason>]``."""
        why = f": {self.reason}" if self.reason else ""
        return f"on {program_day(self.at, zone)} by {self.by}{why}"
