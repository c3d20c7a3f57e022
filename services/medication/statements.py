"""Medications the client takes from elsewhere (another prescriber, over the counter, a PDMP
report): recorded as statements so the care team sees the whole picture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from carecoord.events.medication import (
    InteractionFound,
    MedicationStatementEnded,
    MedicationStatementRecorded,
    QtcEvidence,
    StatementSource,
)
from carecoord.services.errors import NotFound, RuleViolation
from carecoord.services.medication.findings import picture, record_findings
from carecoord.services.medication.interactions import Entry
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stamp import Stamp


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
    qtc: QtcEvidence | None = None,
) -> list[InteractionFound]:
    """A medication taken anyway is a fact: findings are recorded, never a refusal."""
    drug = rules.formulary.lookup(given.medication)
    entry = Entry(statement_id, drug.code, drug.classes, is_statement=True)
    findings = rules.interactions.check(entry, picture(record, rules), qtc)
    record.record(
        stamp.event(
            MedicationStatementRecorded,
            record.client_id,
            given.occurred_at,
            statement_id=statement_id,
            medication=drug.code,
            dose=given.dose,
            unit=given.unit,
            source=given.source,
            source_detail=given.source_detail,
            since=given.since,
        )
    )
    return record_findings(record, stamp, findings, {}, given.occurred_at)


def end_statement(
    record: MedicationRecord,
    stamp: Stamp,
    statement_id: UUID,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    statement = record.statements.get(statement_id)
    if statement is None:
        raise NotFound(
            "statementId", "unknown-statement", f"the client has no statement {statement_id}"
        )
    if not statement.active:
        raise RuleViolation(
            "statementId", "statement-active", f"{statement.medication} is already ended"
        )
    record.record(
        stamp.event(
            MedicationStatementEnded,
            record.client_id,
            occurred_at,
            statement_id=statement_id,
            medication=statement.medication,
            reason=reason,
        )
    )
