"""Drug-disease rules on renal function: a medication the kidneys clear, judged on the
client's latest creatinine clearance (a check-ins ``VitalSignsRecorded``) when it is
prescribed or its dose raised.

Acamprosate is cleared unchanged by the kidneys (Campral label, domain.md section 5): in
severe impairment (CrCl 30 mL/min or less) it is contraindicated, a hard stop as
naltrexone on opioids is; in moderate impairment (31-50 mL/min) the label's dose is 333 mg
three times a day, so a daily dose above 999 mg is a moderate finding that asks for the
reduction. With no clearance on record neither rule can judge, and none fires: the renal
rule needs a clearance recorded before acamprosate is written. domain.md rates its one
acamprosate row moderate, the dose reduction's severity; the contraindication is high, as
domain.md rates every other one (naltrexone on opioids, an MAOI with an SSRI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from carecoord.events.medication import ClearanceEvidence, Severity
from carecoord.services.medication.interactions import Entry, Match, Rule

CAMPRAL_LABEL = (
    "Campral (acamprosate) label, Contraindications and Dosage and Administration:"
    " contraindicated with a creatinine clearance of 30 mL/min or less; 333 mg three times a"
    " day with 30-50 mL/min (domain reference, section 5)"
)


@dataclass(frozen=True, slots=True)
class RenalLimit:
    """``rule``'s finding for a medication of its ``classes_a`` when the latest clearance
    is above ``above_ml_min`` and at most ``up_to_ml_min``, and the daily dose above
    ``daily_max`` (None: at any dose)."""

    rule: Rule
    above_ml_min: int
    up_to_ml_min: int
    daily_max: Decimal | None = None

    def judge(
        self, new: Entry, daily: Decimal | None, clearance: ClearanceEvidence | None
    ) -> Match | None:
        """``daily``: the dose per dosing day (an order's ``dose``, split over its
        ``times_per_day``); None when not known (a medication from elsewhere)."""
        if clearance is None or not self.rule.classes_a & new.classes:
            return None
        if not self.above_ml_min < clearance.ml_min <= self.up_to_ml_min:
            return None
        if self.daily_max is not None and (daily is None or daily <= self.daily_max):
            return None
        return Match(self.rule, new, None, clearance=clearance)


def _acamprosate(id: str, severity: Severity, risk: str, *, hard_stop: bool = False) -> Rule:
    return Rule(id, "1", severity, frozenset({"acamprosate"}), frozenset(), risk, CAMPRAL_LABEL,
                hard_stop)  # fmt: skip


RENAL_LIMITS: tuple[RenalLimit, ...] = (
    RenalLimit(
        _acamprosate(
            "acamprosate-severe-renal-impairment", Severity.HIGH,
            "contraindicated in severe renal impairment (creatinine clearance 30 mL/min or"
            " less): acamprosate accumulates", hard_stop=True,
        ),
        0, 30,
    ),
    RenalLimit(
        _acamprosate(
            "acamprosate-moderate-renal-impairment", Severity.MODERATE,
            "above 999 mg a day in moderate renal impairment (creatinine clearance 31-50"
            " mL/min): reduce to 333 mg three times a day",
        ),
        30, 50, Decimal(999),
    ),
)  # fmt: skip


def renal_matches(
    limits: Iterable[RenalLimit],
    new: Entry,
    daily: Decimal | None,
    clearance: ClearanceEvidence | None,
) -> list[Match]:
    """Every renal rule the new medication meets at this daily dose and clearance."""
    return [m for limit in limits if (m := limit.judge(new, daily, clearance)) is not None]
