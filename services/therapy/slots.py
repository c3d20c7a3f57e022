"""The time a session holds: from when it is scheduled to begin, for its planned minutes. One
client, and one clinician, is held by one session at a time (``client-booked-then``,
``therapist-booked-then``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Slot:
    starts: datetime
    minutes: int

    @property
    def ends(self) -> datetime:
        return self.starts + timedelta(minutes=self.minutes)

    def overlaps(self, other: Slot) -> bool:
        """Whether the two share a moment: one ending as the other begins does not."""
        return self.starts < other.ends and other.starts < self.ends

    def said(self) -> str:
        """How a refusal names it: its start to the minute and its length."""
        return f"{self.starts.isoformat(timespec='minutes')}, {self.minutes} min"
