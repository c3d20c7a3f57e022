"""Free text on entries a reader is shown, written by a clinician who reads more: the reason
for a level of care (care) and a check-in's note (check-in) read null to the peer supporter,
named in `withheld`, while the nurse reads them and everyone reads the client's own note; a
nurse's session note (therapy) reads null to the therapist, who sees no doses; a
prescriber's treatment goal naming the dose and a nurse's progress note on it read null to the
therapist and to a client on a blind taper (clientGoals, the timeline, where the therapist's
own progress step restates the goal's words, and its feed), while the prescriber reads them.
Before, each went to every reader of the entry's kind."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import DOCTOR, INDUCTED, NURSE, PRESCRIBE, TAPER, Clinic, mutation
from test_access import REVOKE, consent_to_organization

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PEER = "peer-free-text"
LEVEL = mutation("ChangeLevelOfCareInput", "changeLevelOfCare")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
SESSION_NOTE = mutation("SessionNoteInput", "recordSessionNote")
THERAPIST = "ther-free-text"
HISTORY = """query($id: UUID!, $atLeast: Seq) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast) { level reason withheld } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, first: 500, atLeast: $atLeast, kinds: [CARE, CHECK_IN]) {
    nodes { type withheld facts recordedBy { role } } } }"""
REASON = "relapse on fentanyl; methadone raised to 90 mg, daily observed dosing"
NURSED = "says she took 20 mg of a friend's methadone on Sunday"
OWN = "rough weekend, went to a meeting"


async def read(clinic: Clinic, query: str, role: Role, user: str) -> Any:
    data = await clinic.api.ok(
        query, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
    )
    [result] = data.values()
    return result


async def noted(api: Api) -> Clinic:
    clinic = await Clinic.enroll(api, "Sol X.")
    await clinic.doctor(LEVEL, level="INTENSIVE_OUTPATIENT", asamLevel="2.1", reason=REASON)
    await clinic.nurse(CHECK_IN, mood=4, note=NURSED)
    own = await api.ok(
        CHECK_IN, {"i": {"clientId": clinic.client_id, "mood": 5, "note": OWN}},
        role=Role.CLIENT, user=clinic.client_id,
    )  # fmt: skip
    clinic.position = max(own["recordCheckIn"]["position"], clinic.position)
    clinic.position = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    return clinic


async def test_a_peer_supporter_is_not_shown_a_clinicians_reason_for_a_level(api: Api) -> None:
    clinic = await noted(api)

    nursed = await read(clinic, HISTORY, Role.NURSE, NURSE)
    assert nursed == [{"level": "INTENSIVE_OUTPATIENT", "reason": REASON, "withheld": []}]
    peered = await read(clinic, HISTORY, Role.PEER_SUPPORTER, PEER)
    assert peered == [{"level": "INTENSIVE_OUTPATIENT", "reason": None, "withheld": ["reason"]}]


async def test_a_peer_supporter_reads_the_clients_note_and_not_the_nurses(api: Api) -> None:
    clinic = await noted(api)

    def texts(timeline: dict[str, Any]) -> list[tuple[str, str, Any, list[str]]]:
        return [
            (n["type"], n["recordedBy"]["role"], n["facts"].get("note", n["facts"].get("reason")),
             n["withheld"])
            for n in timeline["nodes"]
            if n["type"] in ("care.LevelOfCareChanged", "checkins.CheckInRecorded")
        ]  # fmt: skip

    assert texts(await read(clinic, TIMELINE, Role.NURSE, NURSE)) == [
        ("care.LevelOfCareChanged", "prescriber", REASON, []),
        ("checkins.CheckInRecorded", "nurse", NURSED, []),
        ("checkins.CheckInRecorded", "client", OWN, []),
    ]
    assert texts(await read(clinic, TIMELINE, Role.PEER_SUPPORTER, PEER)) == [
        ("care.LevelOfCareChanged", "prescriber", None, ["reason"]),
        ("checkins.CheckInRecorded", "nurse", None, ["note", "side_effects", "substances"]),
        ("checkins.CheckInRecorded", "client", OWN, []),
    ]


async def test_a_therapist_is_not_shown_a_nurses_session_note(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Uma Z.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    booking = {
        "clientIds": [clinic.client_id], "modality": "CBT", "format": "INDIVIDUAL",
        "scheduledFor": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "plannedMinutes": 50,
    }  # fmt: skip
    booked = await api.ok(SCHEDULE, {"i": booking}, role=Role.PRESCRIBER, user=DOCTOR)
    session = booked["scheduleSession"]["id"]
    await clinic.nurse(SESSION_NOTE, sessionId=session, note="asked to split her 90 mg dose")
    noted = await api.ok(
        SESSION_NOTE, {"i": {"clientId": clinic.client_id, "sessionId": session, "note": "CBT"}},
        role=Role.THERAPIST, user=THERAPIST,
    )  # fmt: skip
    clinic.position = noted["recordSessionNote"]["position"]
    timeline = TIMELINE.replace("[CARE, CHECK_IN]", "[THERAPY]")

    async def session_notes(role: Role, user: str) -> list[tuple[str, Any, list[str]]]:
        found = await read(clinic, timeline, role, user)
        return [
            (n["recordedBy"]["role"], n["facts"]["note"], n["withheld"])
            for n in found["nodes"]
            if n["type"] == "therapy.SessionNoteRecorded"
        ]

    assert await session_notes(Role.PRESCRIBER, DOCTOR) == [
        ("nurse", "asked to split her 90 mg dose", []),
        ("therapist", "CBT", []),
    ]
    assert await session_notes(Role.THERAPIST, THERAPIST) == [
        ("nurse", None, ["note"]),
        ("therapist", "CBT", []),
    ]


async def test_a_program_admin_is_not_shown_a_nurses_reason_for_revoking_a_consent(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Vic A.")
    consent_id = await consent_to_organization(
        api, clinic.client_id, "county-court", ["DOSING"],
        signed_by="Vic A.", purpose="drug court reporting",
    )  # fmt: skip
    revoke = {
        "clientId": clinic.client_id, "consentId": consent_id,
        "reason": "client asked after her methadone dose was raised",
    }  # fmt: skip
    revoked = await api.ok(REVOKE, {"input": revoke}, role=Role.NURSE, user=NURSE)
    clinic.position = revoked["revokeConsent"]["position"]
    timeline = TIMELINE.replace("[CARE, CHECK_IN]", "[CONSENT]")

    async def reasons(role: Role, user: str) -> list[tuple[Any, list[str]]]:
        found = await read(clinic, timeline, role, user)
        return [
            (n["facts"]["reason"], n["withheld"])
            for n in found["nodes"]
            if n["type"] == "consent.ConsentRevoked"
        ]

    assert await reasons(Role.PRESCRIBER, DOCTOR) == [(revoke["reason"], [])]
    assert await reasons(Role.PROGRAM_ADMIN, "admin-free-text") == [(None, ["reason"])]


SET_GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
GOAL_PROGRESS = mutation("RecordGoalProgressInput", "recordGoalProgress")
GOALS = """query($id: UUID!, $atLeast: Seq) {
  clientGoals(clientId: $id, atLeast: $atLeast) { description withheld history } }"""
TAPERED = "taper methadone to 40 mg by March"
DOSED = "tolerating 50 mg, no withdrawal"
MET = "three NA meetings a week"


async def goals_noted(api: Api) -> Clinic:
    """A client on a blind methadone taper with the prescriber's goal naming the dose (a
    nurse's and the therapist's progress on it) and the therapist's own goal."""
    clinic = await Clinic.enroll(api, "Wes B.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    today = datetime.now(UTC).date()
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60", acknowledgements=[INDUCTED], unit="mg",
        route="oral", start=str(today - timedelta(days=3)),
    )  # fmt: skip
    await clinic.doctor(
        TAPER, orderId=order["id"], steps=[{"start": str(today), "dose": "50"}],
        end=str(today + timedelta(days=30)), blind=True, reason="client-requested taper",
    )  # fmt: skip
    tapered = await clinic.doctor(SET_GOAL, description=TAPERED)
    await clinic.nurse(GOAL_PROGRESS, goalId=tapered["id"], achievement="IMPROVING", note=DOSED)

    async def therapist(query: str, **given: Any) -> Any:
        data = await api.ok(
            query, {"i": {"clientId": clinic.client_id, **given}}, role=Role.THERAPIST,
            user=THERAPIST,
        )  # fmt: skip
        [result] = data.values()
        clinic.position = max(clinic.position, result["position"])
        return result

    await therapist(GOAL_PROGRESS, goalId=tapered["id"], achievement="NO_CHANGE", note="CBT")
    await therapist(SET_GOAL, description=MET)
    return clinic


def worded(goals: list[dict[str, Any]]) -> list[tuple[Any, list[str], list[tuple[Any, ...]]]]:
    return [
        (g["description"], g["withheld"],
         [(s["role"], s["note"], s["withheld"]) for s in g["history"]])
        for g in goals
    ]  # fmt: skip


async def test_a_goal_shows_its_words_and_notes_by_their_writers_role(api: Api) -> None:
    clinic = await goals_noted(api)

    assert worded(await read(clinic, GOALS, Role.PRESCRIBER, DOCTOR)) == [
        (TAPERED, [], [("nurse", DOSED, []), ("therapist", "CBT", [])]),
        (MET, [], []),
    ]
    assert worded(await read(clinic, GOALS, Role.THERAPIST, THERAPIST)) == [
        (None, ["description"], [("nurse", None, ["note"]), ("therapist", "CBT", [])]),
        (MET, [], []),
    ]
    assert worded(await read(clinic, GOALS, Role.CLIENT, clinic.client_id)) == [
        (None, ["description"], [("nurse", None, ["note"]), ("therapist", None, ["note"])]),
        (None, ["description"], []),
    ]
    await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    peered = await api.gql(
        GOALS, {"id": clinic.client_id, "atLeast": clinic.position},
        role=Role.PEER_SUPPORTER, user=PEER,
    )  # fmt: skip
    assert peered["errors"][0]["extensions"]["rule"] == "kind-may-read"


async def test_the_timeline_withholds_a_goals_words_where_its_progress_restates_them(
    api: Api,
) -> None:
    clinic = await goals_noted(api)
    timeline = TIMELINE.replace("[CARE, CHECK_IN]", "[THERAPY]").replace(
        "nodes { type", "nodes { type summary"
    )

    async def goal_entries(role: Role, user: str) -> list[tuple[Any, ...]]:
        found = await read(clinic, timeline, role, user)
        return [
            (n["summary"], n["facts"]["description"], n["facts"].get("note"), n["withheld"])
            for n in found["nodes"]
            if n["type"].startswith(("care.TreatmentGoal", "care.GoalProgress"))
        ]

    assert await goal_entries(Role.PRESCRIBER, DOCTOR) == [
        ("Treatment goal set", TAPERED, None, []),
        ("Goal progress: improving", TAPERED, DOSED, []),
        ("Goal progress: no-change", TAPERED, "CBT", []),
        ("Treatment goal set", MET, None, []),
    ]
    # The therapist's own step restates the prescriber's words, which stay the prescriber's.
    assert await goal_entries(Role.THERAPIST, THERAPIST) == [
        ("Treatment goal set", None, None, ["description"]),
        ("Goal progress: improving", None, None, ["description", "note"]),
        ("Goal progress: no-change", None, "CBT", ["description"]),
        ("Treatment goal set", MET, None, []),
    ]
    assert await goal_entries(Role.CLIENT, clinic.client_id) == [
        ("Treatment goal set", None, None, ["description"]),
        ("Goal progress: improving", None, None, ["description", "note"]),
        ("Goal progress: no-change", None, None, ["description", "note"]),
        ("Treatment goal set", None, None, ["description"]),
    ]


async def test_the_timeline_feed_keeps_a_goals_words_back_as_the_timeline_does(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Xan D.")
    joined = await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    subscribe = """subscription($id: UUID!, $after: Seq) {
      timeline(clientId: $id, after: $after) { type summary withheld facts } }"""
    watched = {"id": clinic.client_id, "after": joined}

    async with api.subscription(api.token(Role.THERAPIST, THERAPIST), subscribe, watched) as ws:
        tapered = await clinic.doctor(SET_GOAL, description=TAPERED)
        await api.ok(
            GOAL_PROGRESS,
            {"i": {"clientId": clinic.client_id, "goalId": tapered["id"],
                   "achievement": "IMPROVING", "note": "CBT"}},
            role=Role.THERAPIST, user=THERAPIST,
        )  # fmt: skip
        got = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    entries = [m["payload"]["data"]["timeline"] for m in got]
    assert [
        (e["summary"], e["facts"]["description"], e["facts"].get("note"), e["withheld"])
        for e in entries
    ] == [
        ("Treatment goal set", None, None, ["description"]),
        ("Goal progress: improving", None, "CBT", ["description"]),
    ]
