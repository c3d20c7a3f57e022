"""The whole-picture interaction check every prescribing step runs.

The new order or statement is checked against the client's current orders and statements.
A hard-stop rule refuses the step; a high-severity finding refuses it unless the prescriber
acknowledged that rule with a reason. Findings are recorded once per rule and pair of
medications, after the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID, uuid4

from carecoord.events.medication import (
    Implicated,
    InteractionFound,
    QtcEvidence,
    Severity,
)
from carecoord.services.errors import RuleViolation
from carecoord.services.medication.interactions import Entry, Match
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stamp import Stamp


def picture(
    record: MedicationRecord, rules: MedicationRules, *, replacing: UUID | None = None
) -> list[Entry]:
    """The client's whole current medication picture, as the interaction rules see it."""
    entries = [
        Entry(o.order_id, o.medication, rules.formulary.lookup(o.medication).classes)
        for o in record.orders.values()
        if o.current and o.order_id != replacing
    ]
    entries += [
        Entry(
            s.statement_id,
            s.medication,
            rules.formulary.lookup(s.medication).classes,
            is_statement=True,
        )
        for s in record.statements.values()
        if s.active
    ]
    return entries


def check(
    record: MedicationRecord,
    rules: MedicationRules,
    new: Entry,
    acknowledgements: Mapping[str, str],
    qtc: QtcEvidence | None,
    *,
    replacing: UUID | None = None,
) -> list[Match]:
    matches = rules.interactions.check(new, picture(record, rules, replacing=replacing), qtc)
    for match in matches:
        if match.rule.hard_stop:
            raise RuleViolation(
                "medication",
                match.rule.id,
                f"{match.title} (source: {match.rule.source}). This combination is a hard stop:"
                f" discontinue {match.other.medication} first",
            )
    for match in matches:
        if match.severity is Severity.HIGH and not acknowledgements.get(match.rule.id, "").strip():
            raise RuleViolation(
                "acknowledgements",
                match.rule.id,
                f"high-severity interaction {match.rule.id}: {match.title}"
                f" (source: {match.rule.source})."
                f" To proceed, acknowledge rule {match.rule.id!r} with a reason",
            )
    return matches


def record_findings(
    record: MedicationRecord,
    stamp: Stamp,
    matches: list[Match],
    acknowledgements: Mapping[str, str],
    occurred_at: datetime | None,
) -> list[InteractionFound]:
    recorded = []
    for match in matches:
        if match.key in record.findings:
            continue
        event = stamp.event(
            InteractionFound,
            record.client_id,
            occurred_at,
            finding_id=uuid4(),
            rule_id=match.rule.id,
            rule_version=match.rule.version,
            severity=match.severity,
            title=match.title,
            source=match.rule.source,
            implicated=tuple(
                Implicated(id=e.id, medication=e.medication, is_statement=e.is_statement)
                for e in (match.new, match.other)
            ),
            acknowledged_reason=acknowledgements.get(match.rule.id, "").strip(),
            qtc=match.qtc,
        )
        record.record(event)
        recorded.append(event)
    return recorded
