"""Orders, medications taken from elsewhere and safety findings as FHIR R4: MedicationRequest
(a dose change or taper is a new request whose ``priorPrescription`` is the one it replaces),
MedicationStatement, and DetectedIssue for interaction findings, hard-stop refusals and
overrides. An order entered in error gets a Provenance (NULLIFY) beside its new status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carecoord.events.medication import (
    DoseChanged,
    HardStopRefused,
    Implicated,
    InteractionFound,
    MedicationPrescribed,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    OverrideAcknowledged,
    TaperOrdered,
)
from carecoord.projections.audit.fhir import (
    ACT_CODE,
    BASE,
    MASKED,
    Resource,
    Resources,
    day,
    handlers,
    instant,
    note,
    party,
    patient,
    provenance,
    quantity,
    reference,
    rule,
    text,
)
from carecoord.services.medication.formulary import FORMULARY

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
FORMULARY_CODES = f"{BASE}/CodeSystem/formulary"
CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
# Where an order's doses come from, as MedicationRequest.category.
DISPENSED_AT = {"clinic": "outpatient", "pharmacy": "community"}
# Statuses an order may still leave when a newer order replaces it.
OPEN = {"active", "on-hold"}


def medication(code: str) -> dict[str, Any]:
    """The formulary code with its RxNorm and ATC codes where the default formulary has them."""
    drug = FORMULARY.medications.get(code)
    codings = [{"system": FORMULARY_CODES, "code": code}]
    if drug is None:
        return {"coding": codings, "text": code}
    if drug.rxnorm:
        codings.insert(0, {"system": RXNORM, "code": drug.rxnorm, "display": drug.name})
    if drug.atc:
        codings.append({"system": ATC, "code": drug.atc})
    return {"coding": codings, "text": drug.name}


def _dosage(
    event: MedicationPrescribed | DoseChanged | TaperOrdered,
) -> list[dict[str, Any]]:
    repeat = {
        "frequency": event.schedule.times_per_day,
        "period": event.schedule.every_days,
        "periodUnit": "d",
    }
    steps = [(event.start, event.dose)]
    if isinstance(event, TaperOrdered):
        steps = [(step.start, step.dose) for step in event.steps]
    ends = [start - timedelta(days=1) for start, _ in steps[1:]] + [event.end]
    dosage = []
    for number, ((start, dose), end) in enumerate(zip(steps, ends, strict=True), start=1):
        bounds = {"start": day(start)} | ({} if end is None else {"end": day(end)})
        dosage.append(
            {
                "sequence": number,
                "text": f"{dose} {event.unit} {event.route}",
                "timing": {"repeat": repeat | {"boundsPeriod": bounds}},
                "route": text(event.route),
                "doseAndRate": [{"doseQuantity": quantity(dose, event.unit)}],
            }
        )
    return dosage


def ordered(res: Resources, event: MedicationPrescribed | DoseChanged | TaperOrdered) -> None:
    request: Resource = {
        "resourceType": "MedicationRequest",
        "id": str(event.order_id),
        "status": "active",
        "intent": "order",
        "category": [
            {"coding": [{"system": CATEGORY, "code": DISPENSED_AT[event.dispensing.value]}]}
        ],
        "medicationCodeableConcept": medication(event.medication),
        "subject": patient(event),
        "authoredOn": instant(event.occurred_at),
        "requester": party(event.actor),
        "dosageInstruction": _dosage(event),
    }
    if event.indication:
        request["reasonCode"] = [text(event.indication)]
    notes = []
    if isinstance(event, DoseChanged | TaperOrdered):
        request["priorPrescription"] = reference("MedicationRequest", event.prior_order_id)
        notes = note(event.reason, res.masked(event, "reason"))
        prior = res.change(event, "MedicationRequest", event.prior_order_id)
        if prior is not None and prior["status"] in OPEN:
            prior["status"] = "stopped"
            prior["statusReason"] = text("replaced by a new order")
    if isinstance(event, TaperOrdered) and event.blind:
        notes.append({"text": "blind taper: the doses are hidden from the client"})
    if notes:
        request["note"] = notes
    res.new(event, request)


def _status(
    res: Resources,
    event: OrderHeld | OrderResumed | OrderDiscontinued | OrderEnteredInError,
    status: str,
) -> Resource | None:
    request = res.change(event, "MedicationRequest", event.order_id)
    if request is None:
        return None
    request["status"] = status
    request.pop("statusReason", None)
    if event.reason or res.masked(event, "reason"):
        request["statusReason"] = text(event.reason)
        if isinstance(event, OrderHeld) and event.rule_id:
            request["statusReason"]["coding"] = [rule(event.rule_id, event.rule_version)]
    return request


def held(res: Resources, event: OrderHeld) -> None:
    _status(res, event, "on-hold")


def resumed(res: Resources, event: OrderResumed) -> None:
    _status(res, event, "active")


def discontinued(res: Resources, event: OrderDiscontinued) -> None:
    _status(res, event, "stopped")


def entered_in_error(res: Resources, event: OrderEnteredInError) -> None:
    if _status(res, event, "entered-in-error") is not None:
        target = reference("MedicationRequest", event.order_id)
        res.new(
            event,
            provenance(event, target, "NULLIFY", event.reason, masked=res.masked(event, "reason")),
        )


def reinstated(res: Resources, event: OrderReinstated) -> None:
    """Back in force (active) because the order that replaced it was entered in error; its
    dosage bounds stay as prescribed, the status reason says from when."""
    request = res.change(event, "MedicationRequest", event.order_id)
    if request is None:
        return
    request["status"] = "active"
    request["statusReason"] = text(
        f"back in force from {day(event.start)}: the order that replaced it"
        f" ({event.in_error_order_id}) was entered in error"
    )


def statement_recorded(res: Resources, event: MedicationStatementRecorded) -> None:
    source = event.source.value + (f": {event.source_detail}" if event.source_detail else "")
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": str(event.statement_id),
        "status": "active",
        "medicationCodeableConcept": medication(event.medication),
        "subject": patient(event),
        "dateAsserted": instant(event.recorded_at),
        "informationSource": {"display": source},
    }
    if event.since is not None:
        statement["effectivePeriod"] = {"start": day(event.since)}
    if event.dose is not None:
        statement["dosage"] = [
            {"doseAndRate": [{"doseQuantity": quantity(event.dose, event.unit)}]}
        ]
    res.new(event, statement)


def statement_ended(res: Resources, event: MedicationStatementEnded) -> None:
    statement = res.change(event, "MedicationStatement", event.statement_id)
    if statement is None:
        return
    statement["status"] = "stopped"
    statement.setdefault("effectivePeriod", {})["end"] = day(res.day_of(event.occurred_at))
    if event.reason or res.masked(event, "reason"):
        statement["statusReason"] = [text(event.reason)]


def statement_in_error(res: Resources, event: MedicationStatementEnteredInError) -> None:
    statement = res.change(event, "MedicationStatement", event.statement_id)
    if statement is None:
        return
    statement["status"] = "entered-in-error"
    statement["statusReason"] = [text(event.reason)]
    target = reference("MedicationStatement", event.statement_id)
    res.new(
        event,
        provenance(event, target, "NULLIFY", event.reason, masked=res.masked(event, "reason")),
    )


def implicated(found: Implicated) -> dict[str, str]:
    return reference("MedicationStatement" if found.is_statement else "MedicationRequest", found.id)


def _issue(
    event: InteractionFound | HardStopRefused | OverrideAcknowledged,
    id_: object,
    title: str,
    detail: str,
    refs: list[dict[str, str]],
) -> Resource:
    issue: Resource = {
        "resourceType": "DetectedIssue",
        "id": str(id_),
        "status": "final",
        "code": {"coding": [rule(event.rule_id, event.rule_version)], "text": title},
        "severity": event.severity.value,
        "patient": patient(event),
        "identifiedDateTime": instant(event.occurred_at),
        "author": party(event.actor),
    }
    if detail:  # an override's reason, withheld from its reader
        issue["detail"] = detail
    if refs:
        issue["implicated"] = refs
    return issue


def _mitigation(
    event: InteractionFound | HardStopRefused | OverrideAcknowledged, action: str
) -> dict[str, Any]:
    return {
        "action": text(action),
        "date": instant(event.occurred_at),
        "author": party(event.actor),
    }


def interaction(res: Resources, event: InteractionFound) -> None:
    details = [event.title, f"source: {event.source}"]
    if event.exposure is not None:
        details.append(event.exposure.describe())
    if event.qtc is not None:
        details.append(f"QTc {event.qtc.qtc_ms} ms measured {instant(event.qtc.measured_at)}")
    if (crcl := event.clearance) is not None:
        details.append(
            f"creatinine clearance {crcl.ml_min} mL/min measured {instant(crcl.measured_at)}"
        )
    refs = [implicated(i) for i in event.implicated]
    issue = _issue(event, event.finding_id, event.title, "; ".join(details), refs)
    alert = {"system": ACT_CODE, "code": "DRG", "display": "Drug Interaction Alert"}
    if len(event.implicated) == 1:  # one medication and a QTc or clearance: no interaction
        alert = {"system": ACT_CODE, "code": "OBSA", "display": "Observation Alert"}
    issue["code"]["coding"].insert(0, alert)
    if event.acknowledged_reason:
        issue["mitigation"] = [_mitigation(event, f"acknowledged: {event.acknowledged_reason}")]
    elif res.masked(event, "acknowledged_reason"):
        issue["mitigation"] = [_mitigation(event, "")]
    res.new(event, issue)


def hard_stop(res: Resources, event: HardStopRefused) -> None:
    attempted = event.attempted
    issue = _issue(
        event,
        event.refusal_id,
        f"Hard stop: {attempted.action} {attempted.medication} refused",
        f"{event.message} (source: {event.source})",
        [implicated(i) for i in event.implicated],
    )
    issue["mitigation"] = [_mitigation(event, "the prescribing step was refused")]
    res.new(event, issue)


def overridden(res: Resources, event: OverrideAcknowledged) -> None:
    attempted = event.attempted
    issue = _issue(
        event,
        event.override_id,
        f"Override: {attempted.action} {attempted.medication} past a high-severity rule",
        event.reason,
        [reference("MedicationRequest", event.order_id)],
    )
    if res.masked(event, "reason"):
        issue["_detail"] = {"extension": [MASKED]}
    if event.finding_id is not None:
        issue["evidence"] = [{"detail": [reference("DetectedIssue", event.finding_id)]}]
    said = f"override acknowledged: {event.reason}" if event.reason else ""
    issue["mitigation"] = [_mitigation(event, said)]
    res.new(event, issue)


HANDLERS = (
    # MedicationRequest
    handlers(ordered, held, resumed, discontinued, entered_in_error, reinstated)
    | handlers(statement_recorded, statement_ended, statement_in_error)  # MedicationStatement
    | handlers(interaction, hard_stop, overridden)  # DetectedIssue
)
