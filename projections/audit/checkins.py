"""How the client is doing as FHIR R4 Observations: a check-in and a scored instrument
(category survey; PHQ-9, GAD-7, AUDIT and DAST-10 totals by LOINC), a drug screen
(laboratory, one component per analyte) and vital signs (LOINC-coded components in UCUM
units; a creatinine clearance given with them is a laboratory Observation of its own, LOINC
35591-7, so a reader finds it by its code). An entry marked in error becomes
``entered-in-error``, each Observation it made, with a Provenance (NULLIFY) saying why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from carecoord.events.checkins import (
    AnalyteResult,
    CheckInEnteredInError,
    CheckInRecorded,
    DrugScreenResulted,
    Instrument,
    InstrumentScored,
    VitalSignsRecorded,
)
from carecoord.events.envelope import CareEvent
from carecoord.projections.audit.fhir import (
    LOINC,
    MASKED,
    UCUM,
    Resource,
    Resources,
    derived_id,
    handlers,
    instant,
    note,
    number,
    party,
    patient,
    provenance,
    reference,
    text,
)

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
TOTALS = {
    Instrument.PHQ9: "44261-6",
    Instrument.GAD7: "70274-6",
    Instrument.AUDIT: "75624-7",
    Instrument.DAST10: "82667-7",
}
"""Instruments whose total has a LOINC code (domain reference, section 1.2; AUDIT and
DAST-10: https://loinc.org/75624-7, https://loinc.org/82667-7)."""
RESULTS = {AnalyteResult.POSITIVE: "POS", AnalyteResult.NEGATIVE: "NEG"}
RESULTS_OTHERWISE = "IND"
# Vital signs: (field, LOINC code, name, UCUM unit).
VITALS = (
    ("qtc_ms", "8636-3", "QTc interval", "ms"),
    ("pulse_bpm", "8867-4", "Heart rate", "/min"),
    ("systolic_mmhg", "8480-6", "Systolic blood pressure", "mm[Hg]"),
    ("diastolic_mmhg", "8462-4", "Diastolic blood pressure", "mm[Hg]"),
    ("respiratory_rate", "9279-1", "Respiratory rate", "/min"),
    ("spo2_percent", "59408-5", "Oxygen saturation by pulse oximetry", "%"),
)
CLEARANCE = "35591-7"
"""Creatinine renal clearance predicted by Cockcroft-Gault formula (https://loinc.org/35591-7)."""


def _observation(event: CareEvent, id_: object, category: str, code: dict[str, Any]) -> Resource:
    return {
        "resourceType": "Observation",
        "id": str(id_),
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": code,
        "subject": patient(event),
        "effectiveDateTime": instant(event.occurred_at),
        "issued": instant(event.recorded_at),
        "performer": [party(event.actor)],
    }


def _ucum(value: Decimal | int, unit: str) -> dict[str, Any]:
    amount = number(value) if isinstance(value, Decimal) else value
    return {"value": amount, "unit": unit, "system": UCUM, "code": unit}


def checked_in(res: Resources, event: CheckInRecorded) -> None:
    found = _observation(event, event.checkin_id, "survey", text("Between-visit check-in"))
    parts: list[dict[str, Any]] = [{"code": text("reported by"), "valueString": event.source.value}]
    if event.craving is not None:
        parts.append({"code": text("craving (VAS)"), "valueQuantity": _ucum(event.craving, "mm")})
    if event.mood is not None:
        parts.append({"code": text("mood (0-10)"), "valueInteger": event.mood})
    if event.sleep_hours is not None:
        parts.append({"code": text("sleep"), "valueQuantity": _ucum(event.sleep_hours, "h")})
    if event.sleep_quality is not None:
        parts.append({"code": text("sleep quality (0-10)"), "valueInteger": event.sleep_quality})
    if event.substance_use is not None:
        parts.append({"code": text("substance use"), "valueBoolean": event.substance_use})
    for name, words in (("substances", event.substances), ("side_effects", event.side_effects)):
        label = text(name.replace("_", " "))
        if words:
            parts.append({"code": label, "valueString": ", ".join(words)})
        elif res.masked(event, name):
            parts.append({"code": label, "_valueString": {"extension": [MASKED]}})
    found["component"] = parts
    if said := note(event.note, res.masked(event, "note")):
        found["note"] = said
    res.new(event, found)


def scored(res: Resources, event: InstrumentScored) -> None:
    code: dict[str, Any] = text(event.instrument.value)
    if event.instrument in TOTALS:
        code["coding"] = [{"system": LOINC, "code": TOTALS[event.instrument]}]
    found = _observation(event, event.assessment_id, "survey", code)
    if event.total is not None:
        found["valueInteger"] = event.total
    found["interpretation"] = [text("; ".join(event.reading()))]
    found["method"] = text(f"scoring {event.scoring_version}, reported by {event.source.value}")
    found["component"] = [
        {"code": text(name), "valueInteger": value} for name, value in event.subscales.items()
    ] + [
        {"code": text(f"item {item}"), "valueInteger": value}
        for item, value in event.answers.items()
    ]
    res.new(event, found)


def screened(res: Resources, event: DrugScreenResulted) -> None:
    found = _observation(
        event, event.screen_id, "laboratory", text(f"{event.specimen} drug screen")
    )
    found["method"] = text(event.method.value)
    components = []
    for finding in event.results:
        code = RESULTS.get(finding.result, RESULTS_OTHERWISE)
        component: dict[str, Any] = {
            "code": text(finding.analyte),
            "valueCodeableConcept": {
                "coding": [{"system": INTERPRETATION, "code": code}],
                "text": finding.result.value,
            },
        }
        if finding.cutoff_ng_ml is not None:
            component["referenceRange"] = [{"text": f"cutoff {finding.cutoff_ng_ml} ng/mL"}]
        components.append(component)
    found["component"] = components
    res.new(event, found)


def vitals(res: Resources, event: VitalSignsRecorded) -> None:
    components = [
        {
            "code": {"coding": [{"system": LOINC, "code": loinc}], "text": name},
            "valueQuantity": _ucum(value, unit),
        }
        for field, loinc, name, unit in VITALS
        if (value := getattr(event, field)) is not None
    ]
    if components:
        panel = {"coding": [{"system": LOINC, "code": "85353-1"}], "text": "Vital signs"}
        found = _observation(event, event.vitals_id, "vital-signs", panel)
        found["component"] = components
        res.new(event, found)
    if event.creatinine_clearance_ml_min is not None:
        code = {"coding": [{"system": LOINC, "code": CLEARANCE}], "text": "Creatinine clearance"}
        crcl = _observation(event, clearance_id(event.vitals_id), "laboratory", code)
        crcl["valueQuantity"] = _ucum(event.creatinine_clearance_ml_min, "mL/min")
        res.new(event, crcl)


def clearance_id(vitals_id: UUID) -> str:
    """The creatinine clearance's Observation, apart from its vital signs' panel."""
    return derived_id("creatinine-clearance", vitals_id)


def in_error(res: Resources, event: CheckInEnteredInError) -> None:
    """The entry's Observation is nullified, never removed; the Provenance says who, when
    and why."""
    ids = (event.entry_id, clearance_id(event.entry_id))
    found = [r for id_ in ids if (r := res.change(event, "Observation", id_)) is not None]
    if not found:
        return
    for observation in found:
        observation["status"] = "entered-in-error"
    nullified = provenance(
        event,
        reference("Observation", found[0]["id"]),
        "NULLIFY",
        event.reason,
        masked=res.masked(event, "reason"),
    )
    nullified["target"] = [reference("Observation", r["id"]) for r in found]
    res.new(event, nullified)


HANDLERS = handlers(checked_in, scored, screened, vitals, in_error)
