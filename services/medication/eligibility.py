"""The medical director's take-home eligibility decision (42 CFR 8.12(i) criteria), and when
it stops standing: a methadone restart (``induction.py``).

A client back after ``restart.after_days`` or more days without methadone is a new induction,
tolerance lost, and their attendance for supervised administration broke off: the
determination made while they were dosing was on criteria they no longer show. Take-homes
are suspended from the first dosing day after the gap (``take-home-restart``) until a
prescriber determines eligibility again, on that day or later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from carecoord.events.medication import (
    TakeHomeCriterion,
    TakeHomeEligibilityDetermined,
)
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.given_once import given_once
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.induction import RESTART_SOURCE
from carecoord.services.medication.record import Eligibility, MedicationRecord
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.medication.take_homes import CRITERIA, FEDERAL_SOURCE

TAKE_HOME_RESTART = "take-home-restart"
TAKE_HOME_RESTART_VERSION = "1"
TAKE_HOME_RESTART_SOURCE = (
    "42 CFR 8.12(i)(2): take-homes only for a client the medical director determines meets"
    " the criteria, regular attendance for supervised administration and no condition that"
    f" increases the risk of harm among them ({FEDERAL_SOURCE}); a restart is a new"
    f" induction ({RESTART_SOURCE})"
)


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
    # Assessed twice (met and not met), the record said both of one criterion.
    given_once(
        (assessed.criterion for assessed in criteria),
        "criteria",
        "criterion",
        "criterion-once",
        lambda criterion: f"{criterion} is assessed twice; each criterion is assessed once",
    )
    given = {assessed.criterion for assessed in criteria}
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


def check_restart(
    record: MedicationRecord,
    rules: MedicationRules,
    medication: str,
    eligibility: Eligibility | None,
    today: date,
) -> None:
    """Refuse a take-home of ``medication`` handed over on ``today`` after the client's latest
    restart unless ``eligibility``, the determination in force, was made since it began."""
    cap = rules.initial_dose
    gap = cap.restarted(record, today, rules.day_of) if medication in cap.medications else None
    if gap is None or gap.back is None:
        return
    if eligibility is not None and rules.day_of(eligibility.determined_at) >= gap.back:
        return
    made = (
        f"the one in force was determined {rules.day_of(eligibility.determined_at)}"
        if eligibility
        else "none is in force"
    )
    raise RuleViolation(
        "days",
        TAKE_HOME_RESTART,
        f"{gap.back} is the client's first dosing day of {medication} again after {gap.days}"
        f" days without it, a new induction (restart version {cap.restart.version}):"
        f" take-homes are suspended until a prescriber determines take-home eligibility on"
        f" {gap.back} or later; {made} (version {TAKE_HOME_RESTART_VERSION}; source:"
        f" {TAKE_HOME_RESTART_SOURCE})",
        {"daysMissed": gap.days},
    )
