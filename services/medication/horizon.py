"""How far from today a medication's record may reach: an order's start (a new one, a dose
change, a taper's first step) and the day a statement says the client began taking a
medication.

A year ahead, as a session is booked (``therapy/record.py``). An order dated 2126 for 2026 was
recorded in force, dosed nothing for a century and refused every order of its medication
meanwhile (``one-order-per-medication``); a statement of a benzodiazepine taken "since 2091"
for 2019 counted as exposure from 2091, so an order of methadone ending before then met no
interaction with it.

An order's start is a year back at most, too: one entered late (a paper order written during
a downtime) starts days back, and one dated 1901 for a client admitted in 2026 was recorded
in force since then, sent to FHIR as such and walked day by day, 45,000 days, by every
missed-dose sweep. A statement's ``since`` has no such bound: a client on sertraline since
2015 says so.
"""

from __future__ import annotations

from datetime import date, timedelta

from carecoord.services.kernel.errors import InvalidInput

HORIZON = timedelta(days=366)


def not_past_horizon(day: date, today: date, field: str, rule: str) -> None:
    """Refuse ``day``, sent as ``field``, when it is more than ``HORIZON`` after ``today``."""
    latest = today + HORIZON
    if day > latest:
        raise InvalidInput(
            field,
            rule,
            f"{field} {day} is more than {HORIZON.days} days ahead; the latest accepted is"
            f" {latest}",
        )


def within_horizon(day: date, today: date, field: str, rule: str) -> None:
    """Refuse ``day``, sent as ``field``, when it is more than ``HORIZON`` from ``today``,
    ahead or back."""
    not_past_horizon(day, today, field, rule)
    earliest = today - HORIZON
    if day < earliest:
        raise InvalidInput(
            field,
            rule,
            f"{field} {day} is more than {HORIZON.days} days back; the earliest accepted is"
            f" {earliest}",
        )
