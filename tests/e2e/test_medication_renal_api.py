"""A creatinine clearance recorded with the vital signs is what acamprosate is judged on
through the API: with 30 mL/min or less the order is refused as a hard stop and the refusal
recorded; with a later clearance of 31-50 mL/min 666 mg three times a day (1998 mg a day) is
ordered with a moderate finding naming the rule, its version and the clearance. A clearance
out of bounds is refused naming the field, and nothing is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import MEDICATIONS, NURSE, PRESCRIBE, SAFETY, Clinic, mutation

from carecoord.events import Role
from support import Api

VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId ruleVersion severity detail } }"""
SEVERE = "acamprosate-severe-renal-impairment"
MODERATE = "acamprosate-moderate-renal-impairment"
ACAMPROSATE = {  # 666 mg three times a day: an order's dose is the day's
    "medication": "acamprosate",
    "dose": "1998",
    "unit": "mg",
    "route": "oral",
    "schedule": {"timesPerDay": 3},
}


@pytest.mark.shared_platform
async def test_acamprosate_is_judged_on_the_latest_creatinine_clearance(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ana R.")
    measured = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)

    out_of_bounds = [
        await clinic.refused(VITALS, creatinineClearanceMlMin=value) for value in (0, 251)
    ]
    await clinic.nurse(VITALS, creatinineClearanceMlMin=25, occurredAt=measured.isoformat())
    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **ACAMPROSATE, start=str(today))
    later = measured + timedelta(days=1)
    await clinic.nurse(VITALS, creatinineClearanceMlMin=40, occurredAt=later.isoformat())
    ordered = await clinic.doctor(PRESCRIBE, **ACAMPROSATE, start=str(today))

    for error in out_of_bounds:
        assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "creatinineClearanceMlMin")
    assert (refused["code"], refused["field"], refused["rule"], refused["ruleVersion"]) == (
        "RULE_VIOLATION",
        "medication",
        SEVERE,
        "1",
    )
    assert "creatinine clearance 25 mL/min" in refused["message"]
    [found] = ordered["findings"]
    assert (found["rule"], found["ruleVersion"], found["severity"]) == (MODERATE, "1", "MODERATE")
    assert found["implicated"] == [ordered["id"]]
    assert "creatinine clearance 40 mL/min" in found["title"]
    view = await clinic.read(MEDICATIONS)
    assert [o["id"] for o in view["orders"]] == [ordered["id"]]
    safety = await clinic.read(SAFETY)
    stops = [s for s in safety if s["rule"] == SEVERE]
    assert [(s["kind"], s["ruleVersion"], s["medication"]) for s in stops] == [
        ("hard-stop-refused", "1", "acamprosate")
    ]


@pytest.mark.shared_platform
async def test_a_clearance_falling_to_the_moderate_band_on_acamprosate_alerts(
    api: Api, today: date
) -> None:
    """Acamprosate 1998 mg a day written on a normal clearance, then a clearance of 42 mL/min
    measured: the prescribing rule judged only the order, so the team learned nothing until
    crcl-acamprosate-moderate; the client's alerts show it as a nurse reads them."""
    clinic = await Clinic.enroll(api, "Lior B.")
    measured = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    await clinic.nurse(VITALS, creatinineClearanceMlMin=90, occurredAt=measured.isoformat())
    ordered = await clinic.doctor(PRESCRIBE, **ACAMPROSATE, start=str(today))
    await clinic.nurse(VITALS, creatinineClearanceMlMin=42)

    found = await api.ok(
        ALERTS, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE, user=NURSE
    )
    assert ordered["findings"] == []
    assert [
        (a["ruleId"], a["ruleVersion"], a["severity"], a["detail"]) for a in found["clientAlerts"]
    ] == [
        (
            "crcl-acamprosate-moderate",
            "1",
            "moderate",
            "creatinine clearance 42 mL/min on acamprosate 1998 mg a day",
        )
    ]
