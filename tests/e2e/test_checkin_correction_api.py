"""A PHQ-9 with item 9 mistyped and a QTc typed wrong are corrected through the API by a new
event each: the series marks the score, the timeline shows the correction, the caseload's last
check-in and the methadone QT check skip the entry, the alert it raised shows its evidence in
error, and every refusal names its field and rule and records nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import NURSE, PRESCRIBE, TIMELINE, Clinic, mutation

from carecoord.events import Role
from support import Api

IN_ERROR = mutation("CheckInInErrorInput", "markCheckInEnteredInError")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
SERIES = """query($id: UUID!, $atLeast: Seq) {
  checkInSeries(clientId: $id, atLeast: $atLeast) { measure value eventId enteredInError } }"""
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId status evidence evidenceInError } }"""
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId lastCheckInAt } } }"""
QT_RULE = "methadone-qt-prolonging"
PEER = "peer-quinn"
ESCITALOPRAM = {"medication": "escitalopram", "dose": "10", "unit": "mg", "route": "oral"}


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0).isoformat()


async def read(clinic: Clinic, query: str, **variables: Any) -> Any:
    data = await clinic.api.ok(
        query, {"atLeast": clinic.position, **variables}, role=Role.NURSE, user=NURSE
    )
    [result] = data.values()
    return result


@pytest.mark.shared_platform
async def test_a_mistyped_phq9_and_qtc_are_marked_in_error_and_counted_nowhere(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Quinn R.")
    other = await Clinic.enroll(api, "Rory S.")
    await clinic.methadone("60", today)
    checked = ago(days=3)
    await clinic.nurse(CHECK_IN, craving=20, occurredAt=checked)
    await clinic.nurse(VITALS, qtcMs=440, occurredAt=ago(days=2))
    qtc = (await clinic.nurse(VITALS, qtcMs=520, occurredAt=ago(days=1)))["id"]
    item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    phq9 = (await clinic.nurse(SCORE, instrument="PHQ9", answers=item9))["id"]
    theirs = (await other.nurse(CHECK_IN, mood=5))["id"]
    await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    await api.join_care_team(other.client_id, Role.PEER_SUPPORTER, PEER)
    before = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **ESCITALOPRAM, start=str(today))
    assert before["rule"] == QT_RULE
    assert "QTc 520 ms" in before["message"]
    head = await asyncio.to_thread(api.platform.store.last_position)

    blank = await clinic.refused(IN_ERROR, entryId=phq9, reason=" \n ")
    unknown = await clinic.refused(IN_ERROR, entryId=theirs, reason="wrong client")
    made_up = await clinic.refused(IN_ERROR, entryId=str(uuid4()), reason="wrong client")
    long = await clinic.refused(IN_ERROR, entryId=phq9, reason="x" * 501)
    control = await clinic.refused(IN_ERROR, entryId=phq9, reason="item\x00 9")
    off_team = await api.gql(
        IN_ERROR,
        {"i": {"clientId": clinic.client_id, "entryId": qtc, "reason": "typed wrong"}},
        role=Role.NURSE,
        user="nurse-elsewhere",
    )

    async def by_peer(client_id: str, entry_id: str) -> dict[str, Any]:
        return await api.gql(
            IN_ERROR,
            {"i": {"clientId": client_id, "entryId": entry_id, "reason": "typed wrong"}},
            role=Role.PEER_SUPPORTER,
            user=PEER,
        )

    peer = await by_peer(clinic.client_id, qtc)
    # The same id on another client of the peer's, where nothing was recorded under it, and
    # an id nobody recorded.
    peer_elsewhere = await by_peer(other.client_id, qtc)
    made_up_id = str(uuid4())
    peer_made_up = await by_peer(clinic.client_id, made_up_id)
    by_client = await api.gql(
        IN_ERROR,
        {"i": {"clientId": clinic.client_id, "entryId": phq9, "reason": "not me"}},
        role=Role.CLIENT,
        user=clinic.client_id,
    )

    assert (blank["code"], blank["field"], blank["rule"]) == (
        "BAD_USER_INPUT",
        "reason",
        "reason-required",
    )
    for refused in (unknown, made_up):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "NOT_FOUND",
            "entryId",
            "unknown-entry",
        )
    for refused in (long, control):
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "reason")
    assert off_team["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert off_team["errors"][0]["extensions"]["rule"] == "care-team-member"
    assert by_client["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A peer supporter sees no vital signs (MEDICATION kind): the refusal of the QTc's id is
    # the one an unknown id gets, to the letter, so ids cannot be probed.
    [peer_refused] = peer["errors"]
    assert (
        peer_refused["extensions"]["code"],
        peer_refused["extensions"]["field"],
        peer_refused["extensions"]["rule"],
    ) == ("NOT_FOUND", "entryId", "unknown-entry")
    assert peer == peer_elsewhere
    assert json.dumps(peer) == json.dumps(peer_made_up).replace(made_up_id, qtc)
    assert "520" not in peer_refused["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    marked = await clinic.nurse(IN_ERROR, entryId=phq9, reason=" item 9 mistyped; it was 0 ")
    assert marked["id"] == phq9
    await clinic.doctor(IN_ERROR, entryId=qtc, reason="QTc typed as 520; the ECG read 420")
    head = await asyncio.to_thread(api.platform.store.last_position)
    twice = await clinic.refused(IN_ERROR, entryId=phq9, reason="again")
    assert (twice["code"], twice["field"], twice["rule"]) == (
        "RULE_VIOLATION",
        "entryId",
        "already-in-error",
    )
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    series = await read(clinic, SERIES, id=clinic.client_id)
    assert sorted((p["measure"], p["eventId"] == phq9, p["enteredInError"]) for p in series) == [
        ("PHQ-9", True, True),
        ("craving", False, False),
    ]
    timeline = await read(clinic, TIMELINE, id=clinic.client_id)
    corrections = [n for n in timeline["nodes"] if n["type"] == "checkins.CheckInEnteredInError"]
    assert [n["summary"] for n in corrections] == [
        "PHQ-9 entered in error (item 9 mistyped; it was 0)",
        "Vital signs entered in error (QTc typed as 520; the ECG read 420)",
    ]
    caseload = await read(clinic, CASELOAD)
    [line] = [c for c in caseload["clients"] if c["clientId"] == clinic.client_id]
    assert datetime.fromisoformat(line["lastCheckInAt"]) == datetime.fromisoformat(checked)
    alerts = {a["ruleId"]: a for a in await read(clinic, ALERTS, id=clinic.client_id)}
    item9_alert = alerts["phq9-item9"]
    assert (item9_alert["status"], item9_alert["evidenceInError"]) == ("OPEN", [phq9])
    assert qtc in alerts["qtc-methadone-critical"]["evidenceInError"]

    # The methadone QT check reads the QTc measured before the one in error.
    ordered = await api.ok(
        PRESCRIBE.replace("acknowledgedReason", "acknowledgedReason qtcMs"),
        {"i": {"clientId": clinic.client_id, **ESCITALOPRAM, "start": str(today)}},
        role=Role.PRESCRIBER, user="dr-lee",
    )  # fmt: skip
    [finding] = [f for f in ordered["prescribeMedication"]["findings"] if f["rule"] == QT_RULE]
    assert finding["qtcMs"] == 440
