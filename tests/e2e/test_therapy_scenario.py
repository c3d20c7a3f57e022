"""One client's month through the API: sessions, check-ins, scores and the alerts they raise
appear on the timeline in clinical order; the care team works the alerts; replaying the
stored history through the rules gives the same alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import INDUCTED
from psycopg import sql

from carecoord.events import Role
from carecoord.events.alerts import AlertRaised
from carecoord.projections import alerts, checkins, goals
from carecoord.projections.rebuild import rebuild
from carecoord.services.alerts.replay import decision_order, replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
PRESCRIBE = (
    """mutation($input: PrescribeInput!) { prescribeMedication(input: $input) { id position } }"""
)
LEVEL = """mutation($input: ChangeLevelOfCareInput!) {
  changeLevelOfCare(input: $input) { id position } }"""
GOAL = """mutation($input: SetTreatmentGoalInput!) {
  setTreatmentGoal(input: $input) { id position } }"""
SCHEDULE = (
    """mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id position } }"""
)
ATTENDANCE = """mutation($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { id position } }"""
COUNSELING_NOTE = """mutation($input: SessionNoteInput!) {
  recordCounselingNote(input: $input) { id position } }"""
CHECK_IN = (
    """mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { id position } }"""
)
SCORE = (
    """mutation($input: ScoreInstrumentInput!) { scoreInstrument(input: $input) { id position } }"""
)
VITALS = """mutation($input: RecordVitalSignsInput!) {
  recordVitalSigns(input: $input) { id position } }"""
SCREEN = """mutation($input: RecordDrugScreenInput!) {
  recordDrugScreen(input: $input) { id position } }"""
ACK = """mutation($input: AlertNoteInput!) { acknowledgeAlert(input: $input) { id position } }"""
RESOLVE = """mutation($input: AlertNoteInput!) { resolveAlert(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) {
    nodes { type kind summary occurredAt facts } } }"""
MY_ALERTS = """query($atLeast: Seq) { myAlerts(atLeast: $atLeast) { alerts {
  alertId clientId ruleId ruleVersion severity detail evidence status } } }"""
CLIENT_ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { alertId ruleId status history } }"""
SERIES = """query($id: UUID!, $atLeast: Seq, $measures: [String!]) {
  checkInSeries(clientId: $id, atLeast: $atLeast, measures: $measures) {
    measure value band source occurredAt } }"""

PHQ9 = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1}  # 11, item 9


class Team:
    """The client's care team acting through the API; remembers the last position."""

    def __init__(self, api: Api, client_id: str, first: date) -> None:
        self.api = api
        self.client_id = client_id
        self.first = first
        self.position = 0

    def day(self, n: int) -> date:
        """The month's day ``n`` (1 is the day of enrolment)."""
        return self.first + timedelta(n - 1)

    async def do(self, mutation: str, role: Role, user: str, **given: Any) -> str:
        """Send ``mutation`` about this client; returns the id it recorded."""
        return await self.send(mutation, role, user, {"clientId": self.client_id, **given})

    async def send(self, mutation: str, role: Role, user: str, given: dict[str, Any]) -> str:
        name = mutation.split("{", 2)[1].split("(", maxsplit=1)[0].strip()
        data = await self.api.ok(mutation, {"input": given}, role=role, user=user)
        self.position = max(self.position, int(data[name]["position"]))
        return str(data[name]["id"])

    async def session(self, day: date, outcome: str) -> str:
        session_id = await self.send(
            SCHEDULE, Role.THERAPIST, "ther-ana",
            {"clientIds": [self.client_id], "modality": "CBT", "format": "INDIVIDUAL",
             "scheduledFor": f"{day}T15:00:00Z", "plannedMinutes": 50,
             "occurredAt": f"{self.day(2)}T12:00:00Z"},
        )  # fmt: skip
        attended = outcome == "ATTENDED"
        await self.send(
            ATTENDANCE, Role.THERAPIST, "ther-ana",
            {"sessionId": session_id, "durationMinutes": 50 if attended else None,
             "attendance": [{"clientId": self.client_id, "outcome": outcome}]},
        )  # fmt: skip
        return session_id


async def month_of_care(api: Api) -> Team:
    """A month of care that ended ten days ago (UTC days: past, and within every bound the
    platform sets from its clock, whatever day tests run)."""
    first = datetime.now(UTC).date() - timedelta(30)
    enrolled = await api.ok(
        ENROLL,
        {"input": {"displayName": "Riley", "program": "OTP", "occurredAt": f"{first}T10:00:00Z"}},
        role=Role.PROGRAM_ADMIN,
    )
    team = Team(api, enrolled["enrollClient"]["id"], first)
    for role, user in (
        (Role.PRESCRIBER, "dr-lee"),
        (Role.THERAPIST, "ther-ana"),
        (Role.NURSE, "nurse-kim"),
        (Role.PEER_SUPPORTER, "peer-jo"),
    ):
        await api.join_care_team(team.client_id, role, user)
    await team.do(
        PRESCRIBE, Role.PRESCRIBER, "dr-lee", medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg",
        route="oral", start=str(first), occurredAt=f"{team.day(1)}T11:00:00Z",
    )  # fmt: skip
    await team.do(
        LEVEL, Role.THERAPIST, "ther-ana", level="INTENSIVE_OUTPATIENT", asamLevel="2.1",
        occurredAt=f"{team.day(2)}T10:00:00Z",
    )  # fmt: skip
    await team.do(
        GOAL, Role.THERAPIST, "ther-ana", description="Return to part-time work",
        occurredAt=f"{team.day(2)}T11:00:00Z",
    )  # fmt: skip
    attended = await team.session(team.day(5), "ATTENDED")
    await team.do(
        COUNSELING_NOTE, Role.THERAPIST, "ther-ana", sessionId=attended,
        note="Talked about the argument with a sibling.", occurredAt=f"{team.day(5)}T16:00:00Z",
    )  # fmt: skip
    await team.do(
        CHECK_IN, Role.CLIENT, team.client_id, craving=30, mood=6,
        occurredAt=f"{team.day(6)}T08:00:00Z",
    )  # fmt: skip
    await team.do(
        SCORE, Role.CLIENT, team.client_id, instrument="PHQ9",
        answers=[{"item": k, "value": v} for k, v in PHQ9.items()],
        occurredAt=f"{team.day(7)}T08:00:00Z",
    )  # fmt: skip
    await team.do(VITALS, Role.NURSE, "nurse-kim", qtcMs=510, occurredAt=f"{team.day(8)}T09:00:00Z")
    await team.session(team.day(12), "NO_SHOW")
    await team.session(team.day(19), "NO_SHOW")
    await team.do(
        SCREEN, Role.NURSE, "nurse-kim", method="PRESUMPTIVE",
        results=[{"analyte": "benzodiazepines", "result": "POSITIVE"},
                 {"analyte": "methadone", "result": "POSITIVE"}],
        collectedAt=f"{team.day(20)}T09:00:00Z",
    )  # fmt: skip
    return team


@pytest.mark.shared_platform
async def test_a_month_of_care_on_the_timeline_in_order(api: Api) -> None:
    team = await month_of_care(api)
    data = await api.ok(
        TIMELINE, {"id": team.client_id, "atLeast": team.position}, role=Role.PRESCRIBER,
        user="dr-lee",
    )  # fmt: skip
    nodes = data["clientTimeline"]["nodes"]
    mine = [
        (n["type"], n["facts"].get("rule_id", ""))
        for n in nodes
        if n["type"].split(".")[0] in {"care", "therapy", "checkins", "alerts"}
    ]
    assert mine == [
        ("care.ClientEnrolled", ""),
        ("care.LevelOfCareChanged", ""),
        ("care.TreatmentGoalSet", ""),
        ("therapy.SessionScheduled", ""),
        ("therapy.SessionScheduled", ""),
        ("therapy.SessionScheduled", ""),
        ("therapy.SessionAttended", ""),
        # The counseling note is the therapist's: the prescriber does not see it.
        ("checkins.CheckInRecorded", ""),
        ("checkins.InstrumentScored", ""),
        ("alerts.AlertRaised", "phq9-item9"),
        ("alerts.AlertRaised", "phq9-positive"),
        ("checkins.VitalSignsRecorded", ""),
        ("alerts.AlertRaised", "qtc-methadone-critical"),
        ("therapy.SessionNoShow", ""),
        ("therapy.SessionNoShow", ""),
        ("alerts.AlertRaised", "repeated-no-shows"),
        ("checkins.DrugScreenResulted", ""),
        ("alerts.AlertRaised", "screen-depressant-on-agonist"),
    ]
    occurred = [n["occurredAt"] for n in nodes]
    assert occurred == sorted(occurred)
    summaries = {n["type"]: n["summary"] for n in nodes}
    assert summaries["checkins.InstrumentScored"] == "PHQ-9: 11 (moderate)"
    assert summaries["checkins.DrugScreenResulted"] == (
        "Drug screen (presumptive): positive for benzodiazepines, methadone"
    )

    therapist = await api.ok(TIMELINE, {"id": team.client_id}, role=Role.THERAPIST, user="ther-ana")
    [note] = [n for n in therapist["clientTimeline"]["nodes"] if n["kind"] == "counseling_note"]
    assert note["summary"] == "SUD counseling note recorded"

    series = await api.ok(
        SERIES, {"id": team.client_id, "atLeast": team.position, "measures": ["PHQ-9", "craving"]},
        role=Role.PEER_SUPPORTER, user="peer-jo",
    )  # fmt: skip
    assert [
        (p["measure"], p["value"], p["band"], p["source"]) for p in series["checkInSeries"]
    ] == [
        ("PHQ-9", "11", "moderate", "SELF_REPORT"),
        ("craving", "30", "", "SELF_REPORT"),
    ]


async def test_the_care_team_works_the_alerts_and_replay_matches_the_store(api: Api) -> None:
    team = await month_of_care(api)
    queue = await api.ok(
        MY_ALERTS, {"atLeast": team.position}, role=Role.THERAPIST, user="ther-ana"
    )
    ours = [a for a in queue["myAlerts"]["alerts"] if a["clientId"] == team.client_id]
    assert {a["ruleId"] for a in ours} == {
        "phq9-item9", "phq9-positive", "qtc-methadone-critical", "repeated-no-shows",
        "screen-depressant-on-agonist",
    }  # fmt: skip
    urgent = next(a for a in ours if a["ruleId"] == "phq9-item9")
    assert (urgent["severity"], urgent["ruleVersion"], urgent["status"]) == ("high", "2", "OPEN")
    assert len(urgent["evidence"]) == 1

    refused = await api.gql(
        ACK, {"input": {"clientId": team.client_id, "alertId": urgent["alertId"], "note": "ok"}},
        role=Role.PEER_SUPPORTER, user="peer-jo",
    )  # fmt: skip
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    alert = {"clientId": team.client_id, "alertId": urgent["alertId"]}
    await team.do(ACK, Role.THERAPIST, "ther-ana", **alert, note="Calling the client now")
    await team.do(RESOLVE, Role.PRESCRIBER, "dr-lee", **alert, note="C-SSRS low risk; safety plan")

    data = await api.ok(
        CLIENT_ALERTS, {"id": team.client_id, "atLeast": team.position}, role=Role.NURSE,
        user="nurse-kim",
    )  # fmt: skip
    resolved = next(a for a in data["clientAlerts"] if a["alertId"] == urgent["alertId"])
    assert resolved["status"] == "RESOLVED"
    assert [(h["status"], h["by"], h["note"]) for h in resolved["history"]] == [
        ("acknowledged", "ther-ana", "Calling the client now"),
        ("resolved", "dr-lee", "C-SSRS low risk; safety plan"),
    ]
    queue = await api.ok(
        MY_ALERTS, {"atLeast": team.position}, role=Role.THERAPIST, user="ther-ana"
    )
    assert urgent["alertId"] not in {a["alertId"] for a in queue["myAlerts"]["alerts"]}

    stored = await asyncio.to_thread(api.platform.store.read, 0, 10_000)
    events = [
        e for e in decision_order(stored) if e.client_id.hex == team.client_id.replace("-", "")
    ]
    recorded = [e for e in events if isinstance(e, AlertRaised)]
    assert len(recorded) == 5
    assert replay(DEFAULT_ALERT_RULES, events) == recorded


@pytest.mark.shared_platform
async def test_bad_reports_are_refused_with_the_field(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Kai", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    for role in (Role.NURSE, Role.PEER_SUPPORTER):
        await api.join_care_team(client_id, role)
    # Two unanswered are prorated; three are too many to score.
    incomplete = {k: v for k, v in PHQ9.items() if k not in {"7", "8", "9"}}
    body = await api.gql(
        SCORE,
        {"input": {"clientId": client_id, "instrument": "PHQ9",
                   "answers": [{"item": k, "value": v} for k, v in incomplete.items()]}},
        role=Role.NURSE,
    )  # fmt: skip
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "answers", "rule": "instrument-incomplete",
    }  # fmt: skip
    body = await api.gql(
        CHECK_IN, {"input": {"clientId": client_id, "craving": 20}}, role=Role.CLIENT,
        user=str(uuid4()),
    )  # fmt: skip
    assert body["errors"][0]["extensions"]["rule"] == "own-record-only"
    body = await api.gql(
        SCORE,
        {"input": {"clientId": client_id, "instrument": "COWS",
                   "answers": [{"item": "gooseflesh", "value": 5}]}},
        role=Role.PEER_SUPPORTER,
    )  # fmt: skip
    assert body["errors"][0]["extensions"]["rule"] == "clinician-rated"


async def test_the_series_alert_and_goal_views_rebuild_to_the_same_rows(api: Api) -> None:
    team = await month_of_care(api)
    alert_id = (
        await api.ok(MY_ALERTS, {"atLeast": team.position}, role=Role.NURSE, user="nurse-kim")
    )["myAlerts"]["alerts"][0]["alertId"]
    await team.do(RESOLVE, Role.NURSE, "nurse-kim", alertId=alert_id, note="Reviewed with client")
    platform = api.platform
    for model in (checkins, alerts, goals):
        assert await platform.progress.reach(model.NAME, team.position, 10)
        before = await rows_of(api, model.NAME)
        await rebuild(platform.store, platform.pool, model)
        assert await rows_of(api, model.NAME) == before
        assert before, f"{model.NAME} has rows"


async def rows_of(api: Api, name: str) -> list[tuple[Any, ...]]:
    async with api.platform.pool.connection() as conn:
        cur = await conn.execute(
            sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier(name))
        )
        return await cur.fetchall()
