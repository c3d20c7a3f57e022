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
EPISODES = """query($id: UUID!, $atLeast: Int) { treatmentEpisodes(clientId: $id,
  atLeast: $atLeast) { admittedAt readmission dischargedAt reason level note withheld
  dischargedBy } }"""
STINTS = """query($id: UUID!, $atLeast: Int) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast) { level since until } }"""
CASELOAD = """query($atLeast: Int) { myCaseload(atLeast: $atLeast) {
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


async def caseload_line(clinic: Clinic) -> Any:
    data = await clinic.api.ok(
        CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user=OWN_NURSE
    )
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
