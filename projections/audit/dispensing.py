"""What happened at the dosing window as FHIR R4: MedicationAdministration (a dose given, not
given, or missed: status not-done), MedicationDispense (take-home bottles), a Flag while the
client doses elsewhere, and the take-home eligibility as an Observation. A replacement dose
gets a Provenance that names the dose it replaces (entity role ``revision``); a dose, a dose
not given or a take-home entered in error becomes ``entered-in-error`` with a Provenance
(NULLIFY) saying why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carecoord.events.medication import (
    DoseAdministered,
    DoseEnteredInError,
    DoseMissed,
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    GuestDosingArranged,
    GuestDosingEnded,
    ReturnedBottle,
    TakeHomeDispensed,
    TakeHomeEligibilityDetermined,
    TakeHomeEnteredInError,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
)
from carecoord.projections.audit.fhir import (
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
from carecoord.projections.audit.medication import medication


def _administration(
    event: DoseAdministered | DoseNotGiven | DoseMissed, id_: object, status: str, when: str
) -> Resource:
    return {
        "resourceType": "MedicationAdministration",
        "id": str(id_),
        "status": status,
        "medicationCodeableConcept": medication(event.medication),
        "subject": patient(event),
        "effectiveDateTime": when,
        "performer": [{"actor": party(event.actor)}],
        "request": reference("MedicationRequest", event.order_id),
    }


def given(res: Resources, event: DoseAdministered) -> None:
    dose = _administration(event, event.dose_id, "completed", instant(event.occurred_at))
    dose["dosage"] = {
        "text": f"{event.amount} {event.unit} {event.dosage_form}, dosing day {event.day}"
        f" slot {event.slot}",
        "dose": quantity(event.amount, event.unit),
    }
    if event.lot:
        drug: Resource = {
            "resourceType": "Medication",
            "id": "given",
            "code": dose.pop("medicationCodeableConcept"),
            "form": text(event.dosage_form),
            "batch": {"lotNumber": event.lot},
        }
        dose["contained"] = [drug]
        dose["medicationReference"] = {"reference": "#given"}
    res.new(event, dose)
    if event.replaces_dose_id is None:
        return
    replaced = reference("MedicationAdministration", event.replaces_dose_id)
    made = res.new(
        event,
        provenance(
            event,
            reference("MedicationAdministration", event.dose_id),
            "UPDATE",
            event.replacement_reason,
            masked=res.masked(event, "replacement_reason"),
            revises=replaced,
        ),
    )
    dose["eventHistory"] = [reference("Provenance", made["id"])]
    earlier = res.change(event, "MedicationAdministration", event.replaces_dose_id)
    if earlier is not None:
        earlier.setdefault("note", []).append({"text": f"replaced by dose {event.dose_id}"})
        earlier.setdefault("eventHistory", []).append(reference("Provenance", made["id"]))


def in_error(res: Resources, event: DoseEnteredInError) -> None:
    _nullified(res, event, event.dose_id)


def not_given_in_error(res: Resources, event: DoseNotGivenEnteredInError) -> None:
    _nullified(res, event, event.entry_id)


def _nullified(
    res: Resources, event: DoseEnteredInError | DoseNotGivenEnteredInError, id_: object
) -> None:
    """The administration ``id_`` (a dose, or a dose not given) marked entered in error."""
    dose = res.change(event, "MedicationAdministration", id_)
    if dose is None:
        return
    dose["status"] = "entered-in-error"
    dose["statusReason"] = [text(event.reason)]
    target = reference("MedicationAdministration", id_)
    made = res.new(
        event,
        provenance(event, target, "NULLIFY", event.reason, masked=res.masked(event, "reason")),
    )
    dose.setdefault("eventHistory", []).append(reference("Provenance", made["id"]))


def not_given(res: Resources, event: DoseNotGiven) -> None:
    dose = _administration(event, event.event_id, "not-done", instant(event.occurred_at))
    dose["statusReason"] = [text(event.reason.value)]
    if said := note(event.note, res.masked(event, "note")):
        dose["note"] = said
    res.new(event, dose)


def missed(res: Resources, event: DoseMissed) -> None:
    dose = _administration(event, event.event_id, "not-done", day(event.day))
    dose["statusReason"] = [{"coding": [rule(event.rule_id, event.rule_version)], "text": "missed"}]
    dose["note"] = [{"text": f"{event.consecutive_days} consecutive dosing days missed"}]
    res.new(event, dose)


def handed_over(res: Resources, event: TakeHomeDispensed) -> None:
    bottles: list[dict[str, Any]] = [
        {
            "sequence": number,
            "text": f"bottle {b.bottle}, lot {b.lot}: {b.amount} {event.unit} for dosing day"
            f" {b.day} slot {b.slot}",
            "timing": {"event": [day(b.day)]},
            "doseAndRate": [{"doseQuantity": quantity(b.amount, event.unit)}],
        }
        for number, b in enumerate(event.bottles, start=1)
    ]
    res.new(
        event,
        {
            "resourceType": "MedicationDispense",
            "id": str(event.dispense_id),
            "status": "completed",
            "type": text("take-home"),
            "medicationCodeableConcept": medication(event.medication),
            "subject": patient(event),
            "performer": [{"actor": party(event.actor)}],
            "authorizingPrescription": [reference("MedicationRequest", event.order_id)],
            "quantity": quantity(event.total_amount, event.unit),
            "daysSupply": {"value": event.days_covered, "unit": "d"},
            "whenHandedOver": instant(event.occurred_at),
            "dosageInstruction": bottles,
            "note": [
                {
                    "text": f"{event.dosage_form}; day {event.day_in_treatment} in treatment;"
                    f" cap {event.cap_days} days ({event.cap_rule} v{event.cap_rule_version})"
                }
            ],
        },
    )


def take_home_in_error(res: Resources, event: TakeHomeEnteredInError) -> None:
    dispense = res.change(event, "MedicationDispense", event.dispense_id)
    if dispense is None:
        return
    dispense["status"] = "entered-in-error"
    dispense["statusReasonCodeableConcept"] = text(event.reason)
    target = reference("MedicationDispense", event.dispense_id)
    made = res.new(
        event,
        provenance(event, target, "NULLIFY", event.reason, masked=res.masked(event, "reason")),
    )
    dispense.setdefault("eventHistory", []).append(reference("Provenance", made["id"]))


def returned(res: Resources, event: TakeHomeReturned | TakeHomeReturnWitnessed) -> None:
    """Bottles brought back and destroyed, or their return confirmed by its witness: each
    take-home's MedicationDispense stays completed (it was handed over) and gains a note per
    bottle, and a Provenance (UPDATE) of the return, or of its witness, names them."""
    changed = []
    for dispense_id in dict.fromkeys(b.dispense_id for b in event.bottles):
        dispense = res.change(event, "MedicationDispense", dispense_id)
        if dispense is None:
            continue
        dispense.setdefault("note", []).extend(
            {"text": _bottle_back(event, b)} for b in event.bottles if b.dispense_id == dispense_id
        )
        changed.append(dispense)
    if not changed:
        return
    targets = [reference("MedicationDispense", d["id"]) for d in changed]
    reason = "returned and destroyed" if isinstance(event, TakeHomeReturned) else "return witnessed"
    made = res.new(event, provenance(event, targets[0], "UPDATE", reason))
    made["target"] = targets
    for dispense in changed:
        dispense.setdefault("eventHistory", []).append(reference("Provenance", made["id"]))


def _bottle_back(event: TakeHomeReturned | TakeHomeReturnWitnessed, b: ReturnedBottle) -> str:
    bottle = f"bottle {b.bottle}, lot {b.lot} for dosing day {b.day} slot {b.slot}"
    if isinstance(event, TakeHomeReturnWitnessed):
        return f"{bottle}: return {event.return_id} confirmed by its witness {event.actor.id}"
    return (
        f"{bottle} returned on {event.day}: {b.amount} {event.unit} left, destroyed before"
        f" {event.witness_id}"
    )


def guest_dosing(res: Resources, event: GuestDosingArranged) -> None:
    res.new(
        event,
        {
            "resourceType": "Flag",
            "id": str(event.guest_dosing_id),
            "status": "active",
            "code": text(f"Guest dosing at {event.site}: no dose given here"),
            "subject": patient(event),
            "period": {"start": day(event.start), "end": day(event.end)},
            "author": party(event.actor),
        },
    )


def guest_dosing_ended(res: Resources, event: GuestDosingEnded) -> None:
    """The client doses here again from ``ended_on``: the last day away is the one before
    (none, when it ended on the day it was to start, and the period keeps its start alone)."""
    flag = res.change(event, "Flag", event.guest_dosing_id)
    if flag is not None:
        flag["status"] = "inactive"
        last = day(event.ended_on - timedelta(days=1))
        if last >= flag["period"]["start"]:
            flag["period"]["end"] = last
        else:
            del flag["period"]["end"]


def eligibility(res: Resources, event: TakeHomeEligibilityDetermined) -> None:
    found: Resource = {
        "resourceType": "Observation",
        "id": str(event.event_id),
        "status": "final",
        "code": text("Take-home eligibility (42 CFR 8.12(i))"),
        "subject": patient(event),
        "effectiveDateTime": instant(event.occurred_at),
        "performer": [party(event.actor)],
        "valueQuantity": {"value": event.max_days, "unit": "d"},
        "component": [{"code": text(c.criterion), "valueBoolean": c.met} for c in event.criteria],
    }
    if event.basis:
        found["note"] = [{"text": event.basis}]
    res.new(event, found)


HANDLERS = handlers(
    given, in_error, not_given, not_given_in_error, missed, handed_over, take_home_in_error,
    returned, guest_dosing, guest_dosing_ended, eligibility
)  # fmt: skip
