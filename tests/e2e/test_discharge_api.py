"""A client is discharged and readmitted through the API: the discharge waits for the orders
in force to end and names them, nothing is dosed, ordered or moved while the client is out of
treatment, the timeline, the stints and the episodes show it, and the discharge note is
withheld as any clinical note is. Every refusal names its field and rule and records
nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from medication_steps import DISCONTINUE, DOSE, PRESCRIBE, TIMELINE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
READMIT = mutation("ReadmitClientInput", "readmitClient")
LEVEL = mutation("ChangeLevelOfCareInput", "changeLevelOfCare")
GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
EPISODES = """query($id: UUID!, $atLeast: Seq) { treatmentEpisodes(clientId: $id,
  atLeast: $atLeast) { admittedAt readmission dischargedAt reason level note withheld
  dischargedBy } }"""
STINTS = """query($id: UUID!, $atLeast: Seq) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast) { level since until } }"""
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId dischargedAt dischargeReason checkInOverdue needsAttention } } }"""
EXPORT = """query($id: UUID!) { exportClientRecord(clientId: $id, format: FHIR) { bundle } }"""
PEER = "peer-discharge"
OWN_NURSE = "nurse-discharge"
"""A nurse on this client's team alone: their caseload is this client."""
NOTE = "left after a dispute at the window; naloxone kit given"


async def head(api: Api) -> int:
    return await asyncio.to_thread(api.platform.store.last_position)


async def read(clinic: Clinic, query: str, role: Role, user: str) -> Any:
    data = await clinic.api.ok(
        query, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
    )
    [result] = data.values()
    return result


async def caseload_line(clinic: Clinic, nurse: str = OWN_NURSE) -> Any:
    data = await clinic.api.ok(CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user=nurse)
    [line] = data["myCaseload"]["clients"]
    assert line["clientId"] == clinic.client_id
    return line


async def refused_unrecorded(clinic: Clinic, query: str, role: Role, **given: Any) -> Any:
    """The refusal of ``query`` as ``role``, having recorded nothing."""
    before = await head(clinic.api)
    refusal = await clinic.refused(query, role, **given)
    assert await head(clinic.api) == before
    return refusal


async def test_a_client_is_discharged_and_readmitted(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Dana P.")
    await api.join_care_team(clinic.client_id, Role.NURSE, OWN_NURSE)
    clinic.position = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    assert (await caseload_line(clinic))["checkInOverdue"]  # enrolled 90 days ago, none since
    await clinic.doctor(LEVEL, level="OUTPATIENT")
    started = today - timedelta(days=3)
    order = str((await clinic.methadone("40", started))["id"])
    await clinic.dose(order, started, "40")

    held_up = await refused_unrecorded(clinic, DISCHARGE, Role.PRESCRIBER,
                                       reason="LEFT_AGAINST_ADVICE")  # fmt: skip
    assert (held_up["code"], held_up["field"], held_up["rule"], held_up["orderIds"]) == (
        "RULE_VIOLATION", "clientId", "orders-in-force", [order],
    )  # fmt: skip
    nurse = await refused_unrecorded(clinic, DISCHARGE, Role.NURSE, reason="ADMINISTRATIVE")
    assert (nurse["code"], nurse["rule"]) == ("FORBIDDEN", "role-may-record")
    await clinic.doctor(DISCONTINUE, orderId=order, reason="discharge")
    long = await refused_unrecorded(clinic, DISCHARGE, Role.PRESCRIBER,
                                    reason="LEFT_AGAINST_ADVICE", note="x" * 2001)  # fmt: skip
    assert (long["code"], long["field"]) == ("BAD_USER_INPUT", "note")
    await clinic.doctor(DISCHARGE, reason="LEFT_AGAINST_ADVICE", note=NOTE)

    for query, role, given in (
        (DOSE, Role.NURSE, {"orderId": order, "amount": "40", "dosageForm": "oral solution"}),
        (PRESCRIBE, Role.PRESCRIBER, {"medication": "buprenorphine", "dose": "8", "unit": "mg",
                                      "route": "sublingual", "start": str(today)}),
        (LEVEL, Role.PRESCRIBER, {"level": "AFTERCARE"}),
    ):  # fmt: skip
        out = await refused_unrecorded(clinic, query, role, **given)
        assert (out["code"], out["field"], out["rule"]) == (
            "RULE_VIOLATION", "clientId", "client-discharged",
        )  # fmt: skip
    stay = {"site": "Eastside OTP", "start": str(today), "end": str(today + timedelta(days=3))}
    guest = await refused_unrecorded(clinic, GUEST, Role.NURSE, **stay)
    assert (guest["field"], guest["rule"]) == ("clientId", "client-discharged")
    booked = await clinic.api.gql(
        SCHEDULE,
        {"i": {"clientIds": [clinic.client_id], "modality": "CBT", "format": "INDIVIDUAL",
               "scheduledFor": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
               "plannedMinutes": 50}},
        role=Role.PRESCRIBER, user="dr-lee",
    )  # fmt: skip
    [error] = booked["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "clientIds", "client-discharged",
    )  # fmt: skip
    again = await refused_unrecorded(clinic, DISCHARGE, Role.PRESCRIBER, reason="DECEASED")
    assert again["rule"] == "already-discharged"

    [episode] = await read(clinic, EPISODES, Role.NURSE, "nurse-kim")
    assert {k: episode[k] for k in ("readmission", "reason", "level", "note", "withheld")} == {
        "readmission": False, "reason": "LEFT_AGAINST_ADVICE", "level": "OUTPATIENT",
        "note": NOTE, "withheld": [],
    }  # fmt: skip
    discharged_at = episode["dischargedAt"]
    [peered] = await read(clinic, EPISODES, Role.PEER_SUPPORTER, PEER)
    assert (peered["note"], peered["withheld"]) == (None, ["note"])
    [stint] = await read(clinic, STINTS, Role.NURSE, "nurse-kim")
    assert (stint["level"], stint["until"]) == ("OUTPATIENT", discharged_at)
    line = await caseload_line(clinic)
    assert (line["dischargedAt"], line["dischargeReason"]) == (
        discharged_at, "LEFT_AGAINST_ADVICE",
    )  # fmt: skip
    assert (line["checkInOverdue"], line["needsAttention"]) == (False, [])
    summaries = [n["summary"] for n in (await clinic.read(TIMELINE))["nodes"]]
    assert "Discharged: left_against_advice" in summaries

    early = datetime.fromisoformat(discharged_at) - timedelta(minutes=1)
    before = await refused_unrecorded(clinic, READMIT, Role.PRESCRIBER,
                                      readmittedAt=early.isoformat())  # fmt: skip
    assert (before["code"], before["field"], before["rule"]) == (
        "BAD_USER_INPUT", "readmittedAt", "after-discharge",
    )  # fmt: skip
    await clinic.doctor(READMIT)
    again_order = str((await clinic.methadone("40", today))["id"])
    await clinic.nurse(DOSE, orderId=again_order, amount="40", dosageForm="oral solution",
                       slot=1)  # fmt: skip

    first, second = await read(clinic, EPISODES, Role.NURSE, "nurse-kim")
    assert first["dischargedAt"] == discharged_at
    assert (second["readmission"], second["dischargedAt"], second["reason"]) == (True, None, None)
    line = await caseload_line(clinic)
    assert (line["dischargedAt"], line["dischargeReason"]) == (None, None)
    assert not line["checkInOverdue"]  # due a week after the readmission
    assert "Readmitted to OTP" in [n["summary"] for n in (await clinic.read(TIMELINE))["nodes"]]
    not_discharged = await refused_unrecorded(clinic, READMIT, Role.PRESCRIBER)
    assert not_discharged["rule"] == "not-discharged"

    exported = await api.ok(EXPORT, {"id": clinic.client_id}, role=Role.AUDITOR, user="aud-1")
    bundle = exported["exportClientRecord"]["bundle"]
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    episodes = [r for r in resources if "hospitalization" in r]
    assert [(e["status"], e["hospitalization"]) for e in episodes] == [
        ("finished", {"dischargeDisposition": {"text": "left_against_advice"}}),
        ("in-progress", {"reAdmission": {"text": "readmission"}}),
    ]
    assert episodes[0]["period"]["end"] == discharged_at
    stints = [r for r in resources if r["resourceType"] == "EpisodeOfCare"]
    assert [(s["status"], s["period"]["end"]) for s in stints] == [("finished", discharged_at)]


DISCHARGE_IN_ERROR = mutation("DischargeInErrorInput", "markDischargeEnteredInError")
READMISSION_IN_ERROR = mutation("ReadmissionInErrorInput", "markReadmissionEnteredInError")
ORDER_IN_ERROR = mutation("OrderActionInput", "markOrderEnteredInError")
EPISODES_NURSE = "nurse-episodes"
"""A nurse on the care team of the client whose episodes are corrected alone."""
STEPS = """query($id: UUID!, $atLeast: Seq) { treatmentEpisodes(clientId: $id,
  atLeast: $atLeast) { admissionId dischargeId dischargedAt reason
  enteredInError { entryId step reason } } }"""


async def test_a_death_or_a_readmission_entered_in_error_is_corrected(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Lee R.")
    await api.join_care_team(clinic.client_id, Role.NURSE, EPISODES_NURSE)
    moved = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    await clinic.doctor(LEVEL, level="OUTPATIENT", occurredAt=moved)
    written = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    order = str((await clinic.methadone("40", today - timedelta(days=3), occurredAt=written))["id"])

    # A program admin reads no orders: told how many and whom to ask, not which.
    admin = await refused_unrecorded(clinic, DISCHARGE, Role.PROGRAM_ADMIN, reason="DECEASED")
    assert (admin["rule"], admin["orderCount"], admin["prescriberIds"]) == (
        "orders-in-force", 1, ["dr-lee"],
    )  # fmt: skip
    assert "orderIds" not in admin
    assert order not in admin["message"]
    await clinic.doctor(DISCONTINUE, orderId=order, reason="died")
    await clinic.doctor(DISCHARGE, reason="DECEASED")

    dead = await refused_unrecorded(clinic, READMIT, Role.PRESCRIBER)
    assert (dead["code"], dead["field"], dead["rule"]) == (
        "RULE_VIOLATION", "clientId", "client-deceased",
    )  # fmt: skip
    [episode] = await read(clinic, STEPS, Role.NURSE, "nurse-kim")
    death = episode["dischargeId"]
    blank = await refused_unrecorded(clinic, DISCHARGE_IN_ERROR, Role.PRESCRIBER,
                                     dischargeId=death, reason=" ")  # fmt: skip
    assert (blank["code"], blank["field"], blank["rule"]) == (
        "BAD_USER_INPUT", "reason", "reason-required",
    )  # fmt: skip
    nurse = await refused_unrecorded(clinic, DISCHARGE_IN_ERROR, Role.NURSE,
                                     dischargeId=death, reason="wrong client")  # fmt: skip
    assert (nurse["code"], nurse["rule"]) == ("FORBIDDEN", "role-may-record")
    await clinic.doctor(DISCHARGE_IN_ERROR, dischargeId=death, reason="another client's death")

    [episode] = await read(clinic, STEPS, Role.NURSE, "nurse-kim")
    assert (episode["dischargeId"], episode["dischargedAt"], episode["enteredInError"]) == (
        None, None, [{"entryId": death, "step": "discharge", "reason": "another client's death"}],
    )  # fmt: skip
    assert (await caseload_line(clinic, EPISODES_NURSE))["dischargedAt"] is None
    [stint] = await read(clinic, STINTS, Role.NURSE, "nurse-kim")
    assert (stint["level"], stint["until"]) == ("OUTPATIENT", None)  # the death ended none
    summaries = [n["summary"] for n in (await clinic.read(TIMELINE))["nodes"]]
    assert "Discharge entered in error (another client's death)" in summaries

    # Discharged two days ago, readmitted now: a dose charted for a day between is refused
    # naming givenAt; the readmission is corrected once nothing of its episode stands on it.
    gone = datetime.now(UTC) - timedelta(days=2)
    await clinic.doctor(DISCHARGE, reason="ADMINISTRATIVE", dischargedAt=gone.isoformat())
    await clinic.doctor(READMIT)
    bup = {"medication": "buprenorphine", "dose": "8", "unit": "mg", "route": "sublingual"}
    again = str((await clinic.doctor(PRESCRIBE, start=str(today - timedelta(days=1)), **bup))["id"])
    late = await refused_unrecorded(
        clinic, DOSE, Role.NURSE, orderId=again, amount="8", dosageForm="sublingual tablet",
        givenAt=(gone + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    assert (late["field"], late["rule"]) == ("givenAt", "client-discharged")
    first, second = await read(clinic, STEPS, Role.NURSE, "nurse-kim")
    readmission = second["admissionId"]
    held = await refused_unrecorded(clinic, READMISSION_IN_ERROR, Role.PRESCRIBER,
                                    readmissionId=readmission, reason="wrong client")  # fmt: skip
    assert (held["field"], held["rule"]) == ("readmissionId", "in-treatment-since")
    earlier = await refused_unrecorded(clinic, DISCHARGE_IN_ERROR, Role.PRESCRIBER,
                                       dischargeId=first["dischargeId"], reason="x")  # fmt: skip
    assert (earlier["field"], earlier["rule"]) == ("dischargeId", "readmission-since")
    await clinic.doctor(ORDER_IN_ERROR, orderId=again, reason="wrong client")
    await clinic.doctor(READMISSION_IN_ERROR, readmissionId=readmission, reason="wrong client")

    [episode] = await read(clinic, STEPS, Role.NURSE, "nurse-kim")
    assert (episode["reason"], [m["step"] for m in episode["enteredInError"]]) == (
        "ADMINISTRATIVE", ["discharge", "readmission"],
    )  # fmt: skip
    assert (await caseload_line(clinic, EPISODES_NURSE))["dischargeReason"] == "ADMINISTRATIVE"
    exported = await api.ok(EXPORT, {"id": clinic.client_id}, role=Role.AUDITOR, user="aud-1")
    bundle = exported["exportClientRecord"]["bundle"]
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    encounters = [r for r in resources if r["resourceType"] == "Encounter"]
    assert [(e["status"], "hospitalization" in e) for e in encounters] == [
        ("finished", True), ("entered-in-error", True),
    ]  # fmt: skip
    corrected = {
        r["target"][0]["reference"] for r in resources if r["resourceType"] == "Provenance"
    }
    assert {f"Encounter/{e['id']}" for e in encounters} <= corrected
