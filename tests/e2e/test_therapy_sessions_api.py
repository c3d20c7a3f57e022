"""Group sessions, the session lifecycle and treatment-plan goals through the GraphQL API."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from carecoord.events import Role
from support import Api, ago, ahead

# Each test enrolls its own clients, books its own therapist, and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
SCHEDULE = (
    """mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id position } }"""
)
ATTENDANCE = """mutation($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { id position } }"""
CORRECT = """mutation($input: CorrectSessionOutcomeInput!) {
  correctSessionOutcome(input: $input) { id position } }"""
NOTE = """mutation($input: SessionNoteInput!) {
  recordSessionNote(input: $input) { id position } }"""
GOAL = """mutation($input: SetTreatmentGoalInput!) {
  setTreatmentGoal(input: $input) { id position } }"""
PROGRESS = """mutation($input: RecordGoalProgressInput!) {
  recordGoalProgress(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) {
    nodes { type summary facts } } }"""
GOALS = """query($id: UUID!, $atLeast: Seq) {
  clientGoals(clientId: $id, atLeast: $atLeast) {
    goalId description targetDate achievement setBy history } }"""

THERAPIST = "ther-ana"


def booking(client_ids: tuple[str, ...], when: str, booked: str) -> dict[str, Any]:
    """A session for ``when``, booked at ``booked``: one client, or a group."""
    group = len(client_ids) > 1
    return {
        "clientIds": list(client_ids), "modality": "GROUP" if group else "CBT",
        "format": "GROUP" if group else "INDIVIDUAL", "scheduledFor": when,
        "plannedMinutes": 90, "occurredAt": booked,
    }  # fmt: skip


class Clinic:
    """A therapist working through the API; remembers the last position recorded. Each is a
    therapist of their own: one therapist leads one session at a time, and the tests book
    the same times."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.position = 0
        self.therapist = f"{THERAPIST}-{uuid4().hex[:8]}"

    async def enroll(self, name: str, days_ago: float = 30) -> str:
        """Enroll a client ``days_ago`` days back (entered now), sessions booked since on."""
        data = await self.api.ok(
            ENROLL,
            {"input": {"displayName": name, "program": "IOP", "occurredAt": ago(days=days_ago)}},
            role=Role.PROGRAM_ADMIN,
        )
        client_id = str(data["enrollClient"]["id"])
        self.position = max(
            self.position, await self.api.join_care_team(client_id, Role.THERAPIST, self.therapist)
        )
        return client_id

    async def send(self, mutation: str, **given: Any) -> str:
        name = mutation.split("{", 2)[1].split("(", maxsplit=1)[0].strip()
        data = await self.api.ok(
            mutation, {"input": given}, role=Role.THERAPIST, user=self.therapist
        )
        self.position = max(self.position, int(data[name]["position"]))
        return str(data[name]["id"])

    async def refusal(self, mutation: str, **given: Any) -> dict[str, Any]:
        body = await self.api.gql(
            mutation, {"input": given}, role=Role.THERAPIST, user=self.therapist
        )
        [error] = body["errors"]
        extensions: dict[str, Any] = error["extensions"]
        return extensions | {"message": error["message"]}

    async def book(self, *client_ids: str, when: str | None = None) -> str:
        """Book a session (booked 20 days ago) for ``when``, or two weeks ago."""
        return await self.send(SCHEDULE, **booking(client_ids, when or ago(days=14), ago(days=20)))

    async def timeline(self, client_id: str) -> list[dict[str, Any]]:
        data = await self.api.ok(
            TIMELINE, {"id": client_id, "atLeast": self.position}, role=Role.THERAPIST,
            user=self.therapist,
        )  # fmt: skip
        nodes: list[dict[str, Any]] = data["clientTimeline"]["nodes"]
        return [n for n in nodes if n["type"].startswith("therapy.")]


async def test_a_group_session_records_each_members_attendance_on_their_own_timeline(
    api: Api,
) -> None:
    clinic = Clinic(api)
    members = [await clinic.enroll(name) for name in ("Ash", "Bo", "Cy")]
    session_id = await clinic.book(*members)
    await clinic.send(
        ATTENDANCE, sessionId=session_id, durationMinutes=85,
        attendance=[{"clientId": members[0], "outcome": "ATTENDED"},
                    {"clientId": members[1], "outcome": "NO_SHOW"},
                    {"clientId": members[2], "outcome": "ATTENDED"}],
    )  # fmt: skip
    for client_id, note in zip(members, ("Ash spoke first", "Bo absent", "Cy quiet"), strict=True):
        await clinic.send(NOTE, clientId=client_id, sessionId=session_id, note=note)

    seen = {client_id: await clinic.timeline(client_id) for client_id in members}
    assert [n["type"] for n in seen[members[0]]] == [
        "therapy.SessionScheduled", "therapy.SessionAttended", "therapy.SessionNoteRecorded",
    ]  # fmt: skip
    assert [n["type"] for n in seen[members[1]]] == [
        "therapy.SessionScheduled", "therapy.SessionNoShow", "therapy.SessionNoteRecorded",
    ]  # fmt: skip
    scheduled = seen[members[2]][0]
    assert scheduled["facts"]["group_size"] == 3
    assert seen[members[2]][1]["summary"] == "Attended group session (85 min)"
    for client_id, note in zip(members, ("Ash spoke first", "Bo absent", "Cy quiet"), strict=True):
        notes = [n["facts"]["note"] for n in seen[client_id] if "note" in n["facts"]]
        assert notes == [note], "a member's timeline holds their own note, not the others'"
        assert {n["facts"]["session_id"] for n in seen[client_id]} == {session_id}


async def test_a_session_before_a_members_enrolment_is_refused_and_books_no_one(
    api: Api,
) -> None:
    """Each member's own enrolment bounds a group booking: before, a session in 1900 was kept."""
    clinic = Clinic(api)
    early, late = await clinic.enroll("Ivy", days_ago=30), await clinic.enroll("Jon", days_ago=5)
    today = ago(minutes=1)
    for given, field, named in (
        (booking((early,), "1900-01-01T10:00:00Z", today), "scheduledFor", early),
        (booking((early, late), ago(days=14), today), "scheduledFor", late),
        (booking((early,), ago(days=1), ago(days=40)), "occurredAt", early),
    ):
        refused = await clinic.refusal(SCHEDULE, **given)
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "BAD_USER_INPUT", field, "after-enrolment",
        )  # fmt: skip
        assert f"before client {named}'s enrolment" in refused["message"]
    for client_id in (early, late):
        assert await clinic.timeline(client_id) == [], "nothing was booked"
    await clinic.send(SCHEDULE, **booking((early, late), ago(days=2), today))
    assert [len(await clinic.timeline(c)) for c in (early, late)] == [1, 1]


async def test_the_session_lifecycle_refuses_a_second_outcome_and_records_nothing(
    api: Api,
) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Dee")
    session_id = await clinic.book(client_id)
    attended = [{"clientId": client_id, "outcome": "ATTENDED"}]
    await clinic.send(ATTENDANCE, sessionId=session_id, durationMinutes=50, attendance=attended)

    twice = await clinic.refusal(
        ATTENDANCE, sessionId=session_id, durationMinutes=50, attendance=attended
    )
    cancel = await clinic.refusal(
        ATTENDANCE, sessionId=session_id,
        attendance=[{"clientId": client_id, "outcome": "LATE_CANCELLED"}],
    )  # fmt: skip
    for refused in (twice, cancel):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "RULE_VIOLATION", "sessionId", "outcome-recorded",
        )  # fmt: skip
        assert "already recorded as attended" in refused["message"]

    future = await clinic.book(client_id, when=ahead(days=30))
    early = await clinic.refusal(
        ATTENDANCE, sessionId=future, attendance=[{"clientId": client_id, "outcome": "NO_SHOW"}]
    )
    assert (early["field"], early["rule"]) == ("outcome", "session-not-started")
    await clinic.send(
        ATTENDANCE, sessionId=future, reason="moved away",
        attendance=[{"clientId": client_id, "outcome": "LATE_CANCELLED"}],
    )  # fmt: skip

    stranger = await clinic.enroll("Eli")
    group = await clinic.refusal(
        ATTENDANCE, sessionId=session_id,
        attendance=[{"clientId": stranger, "outcome": "NO_SHOW"}],
    )  # fmt: skip
    assert (group["code"], group["field"], group["rule"]) == (
        "NOT_FOUND", "attendance.0.clientId", "not-booked",
    )  # fmt: skip

    assert [n["type"] for n in await clinic.timeline(client_id)] == [
        "therapy.SessionScheduled", "therapy.SessionScheduled", "therapy.SessionAttended",
        "therapy.SessionLateCancelled",
    ]  # fmt: skip


async def test_a_group_refusal_names_the_member_whose_record_refused_it(api: Api) -> None:
    """Of a group's attendance one member's outcome already recorded, one client not booked on
    it: each refusal says whose it is, and nothing is recorded for the others."""
    clinic = Clinic(api)
    members = [await clinic.enroll(name) for name in ("Kit", "Lou", "Max")]
    session_id = await clinic.book(*members[:2])
    await clinic.send(
        ATTENDANCE, sessionId=session_id, durationMinutes=80,
        attendance=[{"clientId": members[1], "outcome": "ATTENDED"}],
    )  # fmt: skip
    for named, rule in ((members[1], "outcome-recorded"), (members[2], "not-booked")):
        attendance = [{"clientId": members[0], "outcome": "NO_SHOW"}]
        refused = await clinic.refusal(
            ATTENDANCE, sessionId=session_id,
            attendance=[*attendance, {"clientId": named, "outcome": "NO_SHOW"}],
        )  # fmt: skip
        assert refused["rule"] == rule
        assert f"client {named}" in refused["message"]
    assert [n["type"] for n in await clinic.timeline(members[0])] == ["therapy.SessionScheduled"]


async def test_an_outcome_recorded_by_mistake_is_corrected_and_both_stay_on_the_timeline(
    api: Api,
) -> None:
    clinic = Clinic(api)
    members = [await clinic.enroll(name) for name in ("Gus", "Hal")]
    session_id = await clinic.book(*members)
    await clinic.send(
        ATTENDANCE, sessionId=session_id, durationMinutes=80,
        attendance=[{"clientId": members[0], "outcome": "NO_SHOW"},
                    {"clientId": members[1], "outcome": "ATTENDED"}],
    )  # fmt: skip

    await clinic.send(
        CORRECT, clientId=members[0], sessionId=session_id, outcome="ATTENDED",
        durationMinutes=60, reason="arrived late; the sign-in sheet was read wrong",
    )  # fmt: skip
    unchanged = await clinic.refusal(
        CORRECT, clientId=members[0], sessionId=session_id, outcome="ATTENDED",
        durationMinutes=60, reason="again",
    )  # fmt: skip
    assert (unchanged["code"], unchanged["field"], unchanged["rule"]) == (
        "BAD_USER_INPUT", "outcome", "outcome-unchanged",
    )  # fmt: skip
    peer = await api.gql(
        CORRECT,
        {"input": {"clientId": members[0], "sessionId": session_id, "outcome": "NO_SHOW",
                   "reason": "x"}},
        role=Role.PEER_SUPPORTER,
    )  # fmt: skip
    assert peer["errors"][0]["extensions"]["rule"] == "role-may-record"

    first = await clinic.timeline(members[0])
    assert [n["type"] for n in first] == [
        "therapy.SessionScheduled", "therapy.SessionNoShow", "therapy.SessionOutcomeCorrected",
    ]  # fmt: skip
    fix = first[-1]
    assert fix["summary"] == (
        "Session outcome corrected: no_show → attended"
        " (arrived late; the sign-in sheet was read wrong)"
    )
    assert (fix["facts"]["previous_outcome"], fix["facts"]["duration_minutes"]) == ("no_show", 60)
    assert [n["type"] for n in await clinic.timeline(members[1])] == [
        "therapy.SessionScheduled", "therapy.SessionAttended",
    ], "the other member's record is untouched"  # fmt: skip


async def test_a_clients_goals_with_their_progress_history(api: Api) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Fay")
    work = await clinic.send(
        GOAL, clientId=client_id, description="Return to part-time work",
        targetDate="2026-06-30", occurredAt="2026-02-01T10:00:00Z",
    )  # fmt: skip
    sleep = await clinic.send(
        GOAL, clientId=client_id, description="Sleep 7 hours most nights",
        occurredAt="2026-02-01T10:05:00Z",
    )  # fmt: skip
    for achievement, note, day in (
        ("IMPROVING", "two interviews", "2026-03-01"),
        ("ACHIEVED", "started Monday", "2026-04-01"),
    ):
        await clinic.send(
            PROGRESS, clientId=client_id, goalId=work, achievement=achievement, note=note,
            occurredAt=f"{day}T10:00:00Z",
        )  # fmt: skip
    closed = await clinic.refusal(
        PROGRESS, clientId=client_id, goalId=work, achievement="WORSENING"
    )
    assert (closed["code"], closed["field"], closed["rule"]) == (
        "RULE_VIOLATION", "goalId", "goal-closed",
    )  # fmt: skip

    data = await api.ok(
        GOALS,
        {"id": client_id, "atLeast": clinic.position},
        role=Role.THERAPIST,
        user=clinic.therapist,
    )
    first, second = data["clientGoals"]
    assert (first["goalId"], first["achievement"], first["targetDate"], first["setBy"]) == (
        work, "ACHIEVED", "2026-06-30", clinic.therapist,
    )  # fmt: skip
    assert [(h["achievement"], h["note"], h["by"]) for h in first["history"]] == [
        ("improving", "two interviews", clinic.therapist),
        ("achieved", "started Monday", clinic.therapist),
    ]
    assert (second["goalId"], second["achievement"], second["history"]) == (
        sleep, "IN_PROGRESS", [],
    )  # fmt: skip
