"""Prescribing decisions on a medication record: orders, their lifecycle, statements.

Every step that adds to the picture runs the interaction check over the client's whole
medication picture (current orders and statements). A hard-stop rule refuses the order;
a high-severity finding refuses it unless the prescriber acknowledged that rule with a
reason. Findings are recorded once per rule and pair of medications, after the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from uuid import UUID, uuid4

from carecoord.events.medication import (
    Dispensing,
    DoseChanged,
    Implicated,
    InteractionFound,
    MedicationPrescribed,
    MedicationStatementEnded,
    MedicationStatementRecorded,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderResumed,
    QtcEvidence,
    Schedule,
    Severity,
    StatementSource,
    TakeHomeCriterion,
    TakeHomeEligibilityDetermined,
    TaperOrdered,
    TaperStep,
)
from carecoord.services.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.medication.formulary import Medication
from carecoord.services.medication.interactions import Entry, Match
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.medication.take_homes import CRITERIA
from carecoord.services.stamp import Stamp


@dataclass(frozen=True, slots=True)
class NewOrder:
    """What a prescriber asks for; a dose change or taper fills in the rest from the prior.

    ``acknowledgements`` maps a high-severity rule id to the prescriber's reason.
    """

    medication: str
    dose: Decimal
    unit: str
    route: str
    schedule: Schedule
    start: date
    end: date | None = None
    indication: str = ""
    dispensing: Dispensing | None = None
    acknowledgements: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DoseChange:
    """A new dose for ``order_id`` from ``start`` on: a new order linked to it."""

    order_id: UUID
    dose: Decimal
    start: date
    schedule: Schedule | None = None
    reason: str = ""
    acknowledgements: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Taper:
    """A stepwise schedule replacing ``order_id``; ``blind`` hides doses from the client."""

    order_id: UUID
    steps: tuple[TaperStep, ...]
    end: date | None = None
    blind: bool = False
    reason: str = ""
    acknowledgements: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None


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


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    max_days: int
    criteria: tuple[TakeHomeCriterion, ...]
    basis: str = ""
    occurred_at: datetime | None = None


def prescribe(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    new: NewOrder,
    qtc: QtcEvidence | None = None,
) -> list[InteractionFound]:
    """``qtc`` is the client's latest QTc, which QT-aware rules are judged on."""
    acknowledgements, occurred_at = new.acknowledgements, new.occurred_at
    drug = _validate(rules, new)
    for order in record.orders.values():
        if order.current and order.medication == drug.code:
            raise RuleViolation(
                "medication",
                "one-order-per-medication",
                f"order {order.order_id} for {drug.code} is already {order.status.value};"
                " change its dose, taper or discontinue it instead",
            )
    findings = _check(
        record, rules, Entry(order_id, drug.code, drug.classes), acknowledgements, qtc
    )
    record.record(
        stamp.event(
            MedicationPrescribed,
            record.client_id,
            occurred_at,
            order_id=order_id,
            medication=drug.code,
            dose=new.dose,
            unit=new.unit,
            route=new.route,
            schedule=new.schedule,
            start=new.start,
            end=new.end,
            indication=new.indication,
            dispensing=new.dispensing or drug.dispensing,
        )
    )
    return _record_findings(record, stamp, findings, acknowledgements, occurred_at)


def change_dose(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    change: DoseChange,
    qtc: QtcEvidence | None = None,
) -> list[InteractionFound]:
    """The new order is checked afresh: a high finding is acknowledged again for it."""
    acks, prior_order_id = change.acknowledgements, change.order_id
    prior = _replaceable(record, prior_order_id, change.start)
    new = _successor(prior, dose=change.dose, start=change.start, schedule=change.schedule)
    drug = _validate(rules, new)
    entry = Entry(order_id, drug.code, drug.classes)
    findings = _check(record, rules, entry, acks, qtc, replacing=prior_order_id)
    record.record(
        stamp.event(
            DoseChanged,
            record.client_id,
            change.occurred_at,
            **_order_facts(order_id, prior, new),
            prior_order_id=prior_order_id,
            prior_dose=prior.dose_on(change.start),
            reason=change.reason,
        )
    )
    return _record_findings(record, stamp, findings, acks, change.occurred_at)


def taper(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    given: Taper,
    qtc: QtcEvidence | None = None,
) -> list[InteractionFound]:
    steps, end, acks, prior_order_id = (
        given.steps,
        given.end,
        given.acknowledgements,
        given.order_id,
    )
    if not steps:
        raise InvalidInput("steps", "taper-steps", "a taper needs at least one step")
    for before, after in pairwise(steps):
        if after.start <= before.start:
            raise InvalidInput(
                "steps",
                "taper-steps-in-order",
                f"step starting {after.start} is not after {before.start}",
            )
    if end is not None and end < steps[-1].start:
        raise InvalidInput(
            "end", "end-after-start", f"end {end} is before the last step {steps[-1].start}"
        )
    prior = _replaceable(record, prior_order_id, steps[0].start)
    new = _successor(prior, dose=steps[0].dose, start=steps[0].start, end=end)
    drug = _validate(rules, new)
    entry = Entry(order_id, drug.code, drug.classes)
    findings = _check(record, rules, entry, acks, qtc, replacing=prior_order_id)
    record.record(
        stamp.event(
            TaperOrdered,
            record.client_id,
            given.occurred_at,
            **_order_facts(order_id, prior, new),
            prior_order_id=prior_order_id,
            steps=steps,
            blind=given.blind,
            reason=given.reason,
        )
    )
    return _record_findings(record, stamp, findings, acks, given.occurred_at)


def hold(
    record: MedicationRecord,
    stamp: Stamp,
    order_id: UUID,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    order = _current(record, order_id)
    if order.hold is not None:
        raise RuleViolation("orderId", "order-not-on-hold", f"order is on hold {_hold_text(order)}")
    record.record(
        stamp.event(
            OrderHeld,
            record.client_id,
            occurred_at,
            order_id=order_id,
            medication=order.medication,
            reason=reason,
        )
    )


def resume(
    record: MedicationRecord,
    stamp: Stamp,
    order_id: UUID,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    """Lift a hold. Held orders stay in the interaction picture, so nothing new is found."""
    order = _current(record, order_id)
    if order.hold is None:
        raise RuleViolation("orderId", "order-on-hold", f"order {order_id} is not on hold")
    record.record(
        stamp.event(
            OrderResumed,
            record.client_id,
            occurred_at,
            order_id=order_id,
            medication=order.medication,
            reason=reason,
        )
    )


def discontinue(
    record: MedicationRecord,
    stamp: Stamp,
    order_id: UUID,
    reason: str,
    *,
    in_error: bool = False,
    occurred_at: datetime | None = None,
) -> None:
    order = record.order(order_id)
    if in_error and order.status is Status.ENTERED_IN_ERROR:
        raise RuleViolation(
            "orderId", "not-in-error", f"order was already marked in error {order.stopped_reason}"
        )
    if not in_error:
        _current(record, order_id)
    event = OrderEnteredInError if in_error else OrderDiscontinued
    record.record(
        stamp.event(
            event,
            record.client_id,
            occurred_at,
            order_id=order_id,
            medication=order.medication,
            reason=reason,
        )
    )


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
    return _record_findings(record, stamp, findings, {}, given.occurred_at)


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


def _check(
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


def _record_findings(
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


def _validate(rules: MedicationRules, new: NewOrder) -> Medication:
    drug = rules.formulary.lookup(new.medication)
    if new.dose <= 0:
        raise InvalidInput("dose", "positive-dose", f"dose must be above 0, got {new.dose}")
    if new.unit != drug.unit:
        raise InvalidInput("unit", "formulary-unit", f"{drug.name} is dosed in {drug.unit}")
    if new.route not in drug.routes:
        raise InvalidInput(
            "route", "formulary-route", f"{drug.name} routes: {', '.join(drug.routes)}"
        )
    if new.end is not None and new.end < new.start:
        raise InvalidInput("end", "end-after-start", f"end {new.end} is before start {new.start}")
    return drug


def _current(record: MedicationRecord, order_id: UUID) -> Order:
    order = record.order(order_id)
    if order.replaced_by is not None:
        raise RuleViolation(
            "orderId",
            "order-current",
            f"order {order_id} was replaced by order {order.replaced_by}; act on that one",
        )
    if order.status in (Status.STOPPED, Status.ENTERED_IN_ERROR):
        raise RuleViolation(
            "orderId",
            "order-current",
            f"order {order_id} is {order.status.value} {order.stopped_reason}",
        )
    return order


def _replaceable(record: MedicationRecord, prior_order_id: UUID, start: date) -> Order:
    """The order a change or taper replaces; nothing may be dispensed under it from ``start``."""
    prior = _current(record, prior_order_id)
    if prior.hold is not None:
        raise RuleViolation(
            "orderId", "order-not-on-hold", f"order is on hold {_hold_text(prior)}; resume it first"
        )
    if start < prior.start:
        raise InvalidInput(
            "start", "start-after-prior", f"the new order cannot start before {prior.start}"
        )
    dispensed = [day for day, _ in (*prior.given, *prior.take_home) if day >= start]
    if dispensed:
        last = max(dispensed)
        raise RuleViolation(
            "start",
            "start-after-last-dispensed",
            f"order {prior_order_id} has doses given or taken home through {last};"
            f" start the new order on {last + timedelta(days=1)} or later",
        )
    return prior


def _successor(
    prior: Order,
    *,
    dose: Decimal,
    start: date,
    schedule: Schedule | None = None,
    end: date | None = None,
) -> NewOrder:
    return NewOrder(
        medication=prior.medication,
        dose=dose,
        unit=prior.unit,
        route=prior.route,
        schedule=schedule or prior.schedule,
        start=start,
        end=end if end is not None else prior.end,
        dispensing=prior.dispensing,
    )


def _order_facts(order_id: UUID, prior: Order, new: NewOrder) -> dict[str, object]:
    return {
        "order_id": order_id,
        "medication": new.medication,
        "dose": new.dose,
        "unit": new.unit,
        "route": new.route,
        "schedule": new.schedule,
        "start": new.start,
        "end": new.end,
        "dispensing": prior.dispensing,
    }


def _hold_text(order: Order) -> str:
    assert order.hold is not None
    return (
        f"since {order.hold.since:%Y-%m-%d %H:%M}, placed by {order.hold.by} ({order.hold.reason})"
    )
