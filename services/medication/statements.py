"""Medications the client takes from elsewhere (another prescriber, over the counter, a PDMP
report): recorded as statements so the care team sees the whole picture. Once ended,
a statement counts as exposure through the day the client stopped, then its washouts. One
recorded in error (the wrong client, a medication never taken) is marked so by a new event,
never edited, and counts nowhere after: not in the interaction picture, so it raises no
finding and holds no washout. Acamprosate taken from elsewhere with a creatinine clearance of
30 mL/min or less on record is the renal contraindication's finding, never a refusal; its dose
from elsewhere has no schedule, so the daily dose of the moderate renal rule is not judged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from carecoord.events.bounds import said
from carecoord.events.medication import (
    Attempt,
    InteractionFound,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    StatementSource,
)
from carecoord.services.kernel.clinical_time import plausible_stop
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.doses import check_amount
from carecoord.services.medication.exposure import picture
from carecoord.services.medication.findings import record_findings
from carecoord.services.medication.formulary import Medication
from carecoord.services.medication.horizon import not_past_horizon
from carecoord.services.medication.interactions import Entry
from carecoord.services.medication.monitored import NOTHING, Monitored
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.record import Statement as Reported
from carecoord.services.medication.renal import renal_matches
from carecoord.services.medication.rules import MedicationRules


@dataclass(frozen=True, slots=True)
class Statement:
    """A medication the client takes from elsewhere, as reported."""

    medication: str
    source: StatementSource
    dose: Decimal | None = None
    unit: str = ""
    source_detail: str = ""
    since: date | None = None
    occurred_at: datetime | None = None


def record_statement(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    statement_id: UUID,
    given: Statement,
    monitored: Monitored = NOTHING,
) -> list[InteractionFound]:
    """A medication taken anyway is a fact: findings are recorded, never a refusal. It is
    checked from today (or its ``since``, if later) against what the client takes and
    was recently exposed to."""
    drug = rules.formulary.lookup(given.medication)
    unit = _unit(given.unit, drug)
    if given.dose is not None:
        if not said(unit):
            raise InvalidInput(
                "unit", "unit-with-dose", f"a dose needs its unit ({drug.unit}, mL, tablets, ...)"
            )
        if unit == drug.unit:
            rules.doses.limit(drug, "dose", given.dose)
        else:
            check_amount("dose", given.dose)
    today = rules.day_of(stamp.clock())
    if given.since is not None:
        not_past_horizon(given.since, today, "since", "since-within-horizon")
    start = max(today, given.since) if given.since else today
    entry = Entry(statement_id, drug.code, drug.classes, is_statement=True, start=start)
    exposures = picture(record, rules, today, monitored)
    findings = rules.interactions.check(entry, exposures, monitored.qtc)
    findings += renal_matches(rules.renal, entry, None, monitored.clearance)
    record.record(
        stamp.event(
            MedicationStatementRecorded,
            record.client_id,
            given.occurred_at,
            statement_id=statement_id,
            medication=drug.code,
            dose=given.dose,
            unit=unit,
            source=given.source,
            source_detail=given.source_detail,
            since=given.since,
        )
    )
    attempt = Attempt(
        action="record_statement", medication=drug.code, dose=given.dose, unit=unit,
        start=given.since,
    )  # fmt: skip
    return record_findings(record, stamp, findings, {}, given.occurred_at, attempt)


def _unit(given: str, drug: Medication) -> str:
    """The formulary's unit when ``given`` is it written otherwise (``MG``, `` mg ``), so the
    dose is held to the medication's limit; any other unit as reported."""
    return drug.unit if given.strip().casefold() == drug.unit.casefold() else given


def end_statement(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    statement_id: UUID,
    reason: str,
    stopped_at: datetime | None = None,
) -> None:
    """``stopped_at``: when the client stopped (not in the future, at most 30 days back, not
    before the reported ``since``); it becomes the event's clinical time. The reason is
    optional: one that shows nothing is kept as none."""
    statement = _statement(record, statement_id)
    if not statement.active:
        raise RuleViolation(
            "statementId", "statement-active", f"{statement.medication} is already ended"
        )
    if stopped_at is not None:
        plausible_stop("stoppedAt", stopped_at, now=stamp.clock())
        if statement.since is not None and rules.day_of(stopped_at) < statement.since:
            raise InvalidInput(
                "stoppedAt",
                "stop-after-start",
                f"stoppedAt {rules.day_of(stopped_at)} is before the reported start"
                f" ({statement.since})",
            )
    record.record(
        stamp.event(
            MedicationStatementEnded,
            record.client_id,
            stopped_at,
            statement_id=statement_id,
            medication=statement.medication,
            reason=said(reason),
        )
    )


def enter_in_error(
    record: MedicationRecord, stamp: Stamp, rules: MedicationRules, statement_id: UUID, reason: str
) -> None:
    """Mark a statement entered in error, ended or not, once; a reason is required."""
    statement = _statement(record, statement_id)
    if statement.in_error is not None:
        raise RuleViolation(
            "statementId",
            "not-in-error",
            f"statement {statement_id} was already marked entered in error"
            f" {statement.in_error.note(rules.zone)}",
        )
    reason = said(reason)
    if not reason:
        raise InvalidInput(
            "reason", "reason-required", "say why the statement is in error (wrong client, ...)"
        )
    record.record(
        stamp.event(
            MedicationStatementEnteredInError,
            record.client_id,
            None,
            statement_id=statement_id,
            medication=statement.medication,
            reason=reason,
        )
    )


def _statement(record: MedicationRecord, statement_id: UUID) -> Reported:
    found = record.statements.get(statement_id)
    if found is None:
        raise NotFound(
            "statementId", "unknown-statement", f"the client has no statement {statement_id}"
        )
    return found
