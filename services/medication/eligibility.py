"""The medical director's take-home eligibility decision (42 CFR 8.12(i) criteria)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carecoord.events.medication import (
    TakeHomeCriterion,
    TakeHomeEligibilityDetermined,
)
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.take_homes import CRITERIA


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    max_days: int
    criteria: tuple[TakeHomeCriterion, ...]
    basis: str = ""
    occurred_at: datetime | None = None


def determine_eligibility(
    record: MedicationRecord, stamp: Stamp, decision: EligibilityDecision
) -> None:
    """Eligibility needs every 42 CFR 8.12(i) criterion assessed; any day count needs all met."""
    criteria, max_days = decision.criteria, decision.max_days
    given = {c.criterion for c in criteria}
    unknown = given - CRITERIA.keys()
    if unknown:
        raise InvalidInput(
            "criteria",
            "known-criterion",
            f"unknown criteria {sorted(unknown)}; known: {sorted(CRITERIA)}",
        )
    missing = CRITERIA.keys() - given
    if missing:
        raise InvalidInput(
            "criteria",
            "all-criteria-assessed",
            f"assess every criterion; missing: {sorted(missing)}",
        )
    unmet = sorted(c.criterion for c in criteria if not c.met)
    if max_days > 0 and unmet:
        raise RuleViolation(
            "maxDays",
            "take-home-criteria-met",
            f"criteria not met: {unmet}; only 0 take-home days can be granted",
        )
    record.record(
        stamp.event(
            TakeHomeEligibilityDetermined,
            record.client_id,
            decision.occurred_at,
            max_days=max_days,
            criteria=criteria,
            basis=decision.basis,
        )
    )
