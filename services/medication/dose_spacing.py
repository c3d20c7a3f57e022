"""Doses at the window kept hours apart across midnight, not only a program day apart.

A day's limits (what is prescribed per dose and per day) count by the program's day, which
ends at midnight: a dose at 23:55 and one at 00:05 were each the first of their day, and a
client was given two full daily doses of methadone ten minutes apart with nothing asked.
Methadone peaks two to four hours after a dose and stays for a day or more, so a second
full dose on top of the first is the overdose the daily limit is there to prevent.

So a dose of a daily order given at the window less than ``share`` of the order's interval
between doses (half: twelve hours for a dose a day, six for a dose split in two) from a dose
of the medication given here on another program day, under any of its orders, before or
after it (a dose charted late counts where it was given), is refused naming ``givenAt``,
rule ``dose-spacing``. The doses of one day are held together by the day's amount already.
A dose spilled or vomited is replaced through ``replaceDose``, which this rule does not
hold; doses marked in error count nowhere. Long-acting injections keep their own interval
(``injection-interval``).

The share is a program's to set (``[medication.dose_spacing]`` in the program file, with its
version and source; ``program.py``), from a quarter of the interval to three quarters: a
window that opens early and closes late may need less than twelve hours between one
evening's dose and the next morning's, and no program may space doses a few hours apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.orders import Order
from carecoord.services.medication.record import MedicationRecord

DOSE_SPACING = "dose-spacing"
SOURCE = (
    "carecoord default: half the order's interval between doses (methadone peaks two to four"
    " hours after a dose and acts a day or more; SAMHSA TIP 63, Part 3):"
    " https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002"
)


@dataclass(frozen=True, slots=True)
class DoseSpacing:
    """How far apart, as a share of the interval between an order's doses."""

    share: float = 0.5
    version: str = "1"
    source: str = SOURCE

    def given(
        self,
        record: MedicationRecord,
        order: Order,
        given_at: datetime,
        day_of: Callable[[datetime], date],
    ) -> None:
        """Refuse a dose of ``order`` given at ``given_at`` too close to one of another day."""
        if order.schedule.every_days != 1:
            return
        least = timedelta(days=1) / order.schedule.times_per_day * self.share
        day = day_of(given_at)
        near = min(
            (
                at
                for at in record.given_at((order.medication,))
                if abs(at - given_at) < least and day_of(at) != day
            ),
            key=lambda at: abs(at - given_at),
            default=None,
        )
        if near is None:
            return
        hours = least.total_seconds() / 3600
        raise RuleViolation(
            "givenAt",
            DOSE_SPACING,
            f"a dose of {order.medication} was given at {near.isoformat()}, less than"
            f" {hours:g} hours from {given_at.isoformat()} on the day before or after: doses of"
            f" an order given {order.schedule.times_per_day} time(s) a day are at least"
            f" {hours:g} hours apart across midnight (version {self.version}; source:"
            f" {self.source}); give it later",
        )
