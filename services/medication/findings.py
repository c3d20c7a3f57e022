"""The whole-picture interaction check every prescribing step runs.

The new order or statement is checked against what the client takes and was recently
exposed to (``exposure.py``). A hard-stop rule refuses the step with ``HardStop``, which
the command records as ``HardStopRefused`` before answering with the refusal; a
high-severity finding refuses it unless the prescriber acknowledged that rule with a
reason. Rules on the latest creatinine clearance (``renal.py``) are checked beside them.
Findings are recorded once per rule and pair of medications (or medication, for a rule on
the latest QTc or clearance alone), after the order;
each acknowledged one also as an ``OverrideAcknowledged``, so a safety review finds every
override in one kind of event (a dose above the usual maximum is one too, ``doses.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from uuid import UUID, uuid4

from carecoord.events.bounds import said
from carecoord.events.medication import (
    Attempt,
    ExposureEvidence,
    HardStopRefused,
    Implicated,
    InteractionFound,
    OverrideAcknowledged,
    Severity,
)
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.doses import Override
from carecoord.services.medication.exposure import ordered, picture
from carecoord.services.medication.interactions import Entry, Match
from carecoord.services.medication.monitored import Monitored
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.renal import renal_matches
from carecoord.services.medication.rules import MedicationRules


class HardStop(RuleViolation):
    """A hard-stop rule refused a prescribing step; ``attempt`` is what was asked for."""

    def __init__(self, match: Match, attempt: Attempt) -> None:
        exposure, other = match.exposure, match.other
        stop = "This combination is a hard stop"
        if exposure is None or other is None:  # a rule on one medication and a measure (renal)
            stop, advice = "This is a hard stop", f"{match.new.medication} is refused"
        elif exposure.clear_from is None:
            advice = f"discontinue {other.medication} first"
        else:
            advice = f"{match.new.medication} may start on {exposure.clear_from} at the earliest"
        super().__init__(
            "medication",
            match.rule.id,
            f"{match.title} (rule {match.rule.id} version {match.rule.version}; source:"
            f" {match.rule.source}). {stop}: {advice}",
            {"ruleVersion": match.rule.version},
        )
        self.match = match
        self.attempt = attempt


def check(
    record: MedicationRecord,
    rules: MedicationRules,
    new: Entry,
    acknowledgements: Mapping[str, str],
    monitored: Monitored,
    attempt: Attempt,
    today: date,
    *,
    replacing: UUID | None = None,
    alone: bool = True,
) -> list[Match]:
    """``alone``: judge the new medication on the latest QTc and creatinine clearance by
    itself too (a new order, or a higher dose; not a reduction, which is what a long QTc or
    a low clearance calls for), at the attempt's daily dose."""
    exposures = picture(record, rules, today, monitored, replacing=replacing)
    matches = rules.interactions.check(new, exposures, monitored.qtc, alone=alone)
    if alone:
        matches += renal_matches(rules.renal, new, attempt.dose, monitored.clearance)
    for match in matches:
        if match.rule.hard_stop:
            raise HardStop(match, attempt)
    for match in matches:
        if match.severity is Severity.HIGH and not said(acknowledgements.get(match.rule.id, "")):
            # One acknowledgement of a rule covers each medication it meets (a benzodiazepine
            # prescribed and one found on a screen): the refusal names them all.
            met = "; ".join(m.title for m in matches if m.rule.id == match.rule.id)
            raise RuleViolation(
                "acknowledgements",
                match.rule.id,
                f"high-severity interaction {match.rule.id}: {met}"
                f" (version {match.rule.version}; source: {match.rule.source})."
                f" To proceed, acknowledge rule {match.rule.id!r} with a reason",
                {"ruleVersion": match.rule.version},
            )
    return matches


def check_window(
    record: MedicationRecord,
    rules: MedicationRules,
    order_id: UUID,
    day: date,
    monitored: Monitored,
) -> None:
    """Refuse giving under an order, at the window on ``day``, what a hard-stop rule would
    refuse prescribing now: evidence recorded since the order was written (an
    opioid-positive screen, use reported at a check-in, an opioid reported from elsewhere)
    stood between XR-naltrexone and the needle nowhere, so it was injected the day after a
    fentanyl-positive screen. Hard stops alone: nobody may acknowledge one, so any that meets
    the order now was not there when it was written."""
    order = record.order(order_id)
    drug = rules.formulary.lookup(order.medication)
    new = ordered(order_id, drug, order.schedule, day, order.end)
    exposures = picture(record, rules, day, monitored, replacing=order_id)
    for match in rules.interactions.check(new, exposures, monitored.qtc, alone=False):
        exposure = match.exposure
        if not match.rule.hard_stop or exposure is None:
            continue
        until = f"before {exposure.clear_from}" if exposure.clear_from else "while it is exposed"
        raise RuleViolation(
            "orderId",
            match.rule.id,
            f"{match.title} (rule {match.rule.id} version {match.rule.version}; source:"
            f" {match.rule.source}). This combination is a hard stop: nothing is given under"
            f" order {order_id} {until}; the prescriber reviews the order",
            {"ruleVersion": match.rule.version},
        )


def record_refusal(
    record: MedicationRecord, stamp: Stamp, refusal_id: UUID, stop: HardStop
) -> HardStopRefused:
    """The refused attempt, on the record: nothing else of it is recorded."""
    match = stop.match
    event = stamp.event(
        HardStopRefused,
        record.client_id,
        None,
        refusal_id=refusal_id,
        rule_id=match.rule.id,
        rule_version=match.rule.version,
        severity=match.severity,
        field=stop.field,
        message=stop.message,
        source=match.rule.source,
        attempted=stop.attempt,
        implicated=tuple(_implicated(e) for e in match.implicated if e is not match.new),
        exposure=match.exposure,
    )
    record.record(event)
    return event


def record_findings(
    record: MedicationRecord,
    stamp: Stamp,
    matches: list[Match],
    acknowledgements: Mapping[str, str],
    occurred_at: datetime | None,
    attempt: Attempt,
) -> list[InteractionFound]:
    recorded = []
    for match in matches:
        if match.key in record.findings:
            continue
        reason = said(acknowledgements.get(match.rule.id, ""))
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
            implicated=tuple(_implicated(e) for e in match.implicated),
            acknowledged_reason=reason,
            qtc=match.qtc,
            exposure=match.exposure,
            clearance=match.clearance,
        )
        record.record(event)
        recorded.append(event)
        if match.severity is Severity.HIGH and reason:
            override = Override(match.rule.id, match.rule.version, match.severity, reason)
            record_override(
                record, stamp, override, attempt, match.new.id, occurred_at,
                finding_id=event.finding_id, exposure=match.exposure,
            )  # fmt: skip
    return recorded


def record_override(
    record: MedicationRecord,
    stamp: Stamp,
    override: Override,
    attempt: Attempt,
    order_id: UUID,
    occurred_at: datetime | None,
    *,
    finding_id: UUID | None = None,
    exposure: ExposureEvidence | None = None,
) -> None:
    record.record(
        stamp.event(
            OverrideAcknowledged,
            record.client_id,
            occurred_at,
            override_id=uuid4(),
            rule_id=override.rule_id,
            rule_version=override.rule_version,
            severity=override.severity,
            reason=override.reason,
            attempted=attempt,
            order_id=order_id,
            finding_id=finding_id,
            exposure=exposure,
        )
    )


def _implicated(entry: Entry) -> Implicated:
    return Implicated(id=entry.id, medication=entry.medication, is_statement=entry.is_statement)
