"""Take-home caps by days in treatment, and the criteria eligibility is assessed against.

Default: the 2024 federal rule, 42 CFR 8.12(i) as amended by 89 FR 7528 (effective
2 Apr 2024): in the first 14 days of treatment a client may hold up to 7 days of
take-home doses, from day 15 up to 14 days, from day 31 up to 28 days. States may be
stricter (e.g. Wisconsin DHS 75.59, California 9 CCR 10370), so each program can have
its own schedule; the schedule id and version go into every TakeHomeDispensed event.

Day 1 of treatment is the day of the client's first observed dose at the program of the
medication taken home, as 8.12(i)(3) counts from the medication's initiation (wording to
verify on eCFR, as the criteria's): weeks on naltrexone, or on buprenorphine before a switch
to methadone, are no time on methadone, and a client in their first days of it held 28 days
of it. Buprenorphine alone or with naloxone, in any form, is one medication (``TREATMENTS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

FEDERAL_SOURCE = (
    "42 CFR 8.12(i), 89 FR 7528 (2 Feb 2024): "
    "https://regulations.justia.com/regulations/fedreg/2024/02/02/2024-01693.html"
)

CRITERIA: dict[str, str] = {
    "no-active-sud-or-risk-condition": (
        "absence of active substance use disorders or other conditions that increase the risk"
        " of harm"
    ),
    "regular-attendance": "regular attendance for supervised medication administration",
    "no-serious-behavioral-problems": "absence of serious behavioral problems at the program",
    "no-recent-diversion": "absence of known recent diversion activity",
    "safe-transport-and-storage": "can transport and store take-home doses safely",
    "benefit-outweighs-risk": "the therapeutic benefit outweighs the risk of diversion",
}
"""The 2024 criteria of 42 CFR 8.12(i)(2) (wording to verify on eCFR; see domain.md §3)."""


TREATMENTS = frozenset({"methadone", "buprenorphine"})
"""The formulary classes that make medications one for day 1 of treatment: switching between
buprenorphine products goes on with the treatment, a switch to methadone starts anew."""


@dataclass(frozen=True, slots=True)
class CapSchedule:
    """The most days of take-home supply a client may hold, by day in treatment."""

    id: str
    version: str
    source: str
    steps: tuple[tuple[int, int], ...]
    """(first day in treatment, max days of supply) in ascending order of day."""

    def cap(self, day_in_treatment: int) -> int:
        allowed = 0
        for from_day, max_days in self.steps:
            if day_in_treatment >= from_day:
                allowed = max_days
        return allowed


FEDERAL_2024 = CapSchedule(
    id="42-cfr-8.12i",
    version="2024-04-02",
    source=FEDERAL_SOURCE,
    steps=((1, 7), (15, 14), (31, 28)),
)


@dataclass(frozen=True, slots=True)
class TakeHomePolicy:
    default: CapSchedule = FEDERAL_2024
    by_program: Mapping[str, CapSchedule] = field(default_factory=dict)

    def schedule_for(self, program: str) -> CapSchedule:
        return self.by_program.get(program, self.default)


def day_in_treatment(first_dose: date, today: date) -> int:
    return (today - first_dose).days + 1


def supply_days(covered: Iterable[date], today: date) -> int:
    """Days of take-home supply the client holds on ``today`` (today and later)."""
    return len({day for day in covered if day >= today})
