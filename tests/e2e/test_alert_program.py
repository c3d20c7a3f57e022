"""A program's own alert thresholds, from its program file, through the API: they decide
which alerts fire, the alert's rule version says so, and replay with the same file agrees."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import isolated_settings

from carecoord.events import Role
from carecoord.events.alerts import AlertRaised
from carecoord.services.alerts.replay import decision_order, replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.bootstrap import Servers, running
from carecoord.services.runtime.program import ProgramFileError
from support import Api, ago

EXAMPLE = Path(__file__).parents[2] / "docs" / "program.example.toml"
PROGRAM = EXAMPLE.read_text()

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
SCORE = (
    """mutation($input: ScoreInstrumentInput!) { scoreInstrument(input: $input) { id position } }"""
)
SCHEDULE = (
    """mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id position } }"""
)
ATTENDANCE = """mutation($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { id position } }"""
CLIENT_ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId ruleVersion detail } }"""

# CIWA-Ar 8: below the default threshold (10), at this program's (8).
CIWA_8 = {
    "nausea_vomiting": 4, "tremor": 4, "paroxysmal_sweats": 0, "anxiety": 0, "agitation": 0,
    "tactile_disturbances": 0, "auditory_disturbances": 0, "visual_disturbances": 0,
    "headache": 0, "orientation": 0,
}  # fmt: skip


@pytest.fixture
def settings(data_dir: Path, tmp_path: Path) -> Settings:
    program = tmp_path / "program.toml"
    program.write_text(PROGRAM)
    return isolated_settings(data_dir, program_file=program)


async def test_program_thresholds_decide_the_alerts_through_the_api(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL,
        {"input": {"displayName": "Noor", "program": "OTP", "occurredAt": ago(days=30)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = enrolled["enrollClient"]["id"]
    for role, user in ((Role.NURSE, "nurse-kim"), (Role.THERAPIST, "ther-ana")):
        await api.join_care_team(client_id, role, user)
    position = 0

    async def send(mutation: str, role: Role, user: str, **given: object) -> str:
        nonlocal position
        name = mutation.split("{", 2)[1].split("(", maxsplit=1)[0].strip()
        data = await api.ok(mutation, {"input": given}, role=role, user=user)
        position = max(position, int(data[name]["position"]))
        return str(data[name]["id"])

    async def alerts() -> list[tuple[str, str]]:
        data = await api.ok(
            CLIENT_ALERTS, {"id": client_id, "atLeast": position}, role=Role.NURSE,
            user="nurse-kim",
        )  # fmt: skip
        return [(a["ruleId"], a["ruleVersion"]) for a in data["clientAlerts"]]

    await send(
        SCORE, Role.NURSE, "nurse-kim", clientId=client_id, instrument="CIWA_AR",
        answers=[{"item": k, "value": v} for k, v in CIWA_8.items()],
    )  # fmt: skip
    ciwa = api.platform.alert_rules.rule("ciwa-above-threshold")
    assert ciwa is not None
    assert ciwa.version.startswith("1+program:")
    assert await alerts() == [("ciwa-above-threshold", ciwa.version)]

    for weeks_ago in (3, 2):
        session_id = await send(
            SCHEDULE, Role.THERAPIST, "ther-ana", clientIds=[client_id], modality="CBT",
            format="INDIVIDUAL", scheduledFor=ago(weeks=weeks_ago), plannedMinutes=50,
        )  # fmt: skip
        await send(
            ATTENDANCE, Role.THERAPIST, "ther-ana", sessionId=session_id,
            attendance=[{"clientId": client_id, "outcome": "NO_SHOW"}],
        )  # fmt: skip
    assert dict(await alerts()).keys() == {"ciwa-above-threshold"}, "3 no-shows at this program"
    session_id = await send(
        SCHEDULE, Role.THERAPIST, "ther-ana", clientIds=[client_id], modality="CBT",
        format="INDIVIDUAL", scheduledFor=ago(weeks=1), plannedMinutes=50,
    )  # fmt: skip
    await send(
        ATTENDANCE, Role.THERAPIST, "ther-ana", sessionId=session_id,
        attendance=[{"clientId": client_id, "outcome": "NO_SHOW"}],
    )  # fmt: skip
    no_shows = api.platform.alert_rules.rule("repeated-no-shows")
    assert no_shows is not None
    assert dict(await alerts())["repeated-no-shows"] == no_shows.version

    stored = await asyncio.to_thread(api.platform.store.read, 0, 10_000)
    events = [e for e in decision_order(stored) if str(e.client_id) == client_id]
    recorded = [e for e in events if isinstance(e, AlertRaised)]
    assert replay(api.platform.alert_rules, events) == recorded
    assert replay(DEFAULT_ALERT_RULES, events) != recorded, "the file made the difference"


async def test_a_bad_program_file_stops_the_start_naming_the_key(
    data_dir: Path, tmp_path: Path
) -> None:
    program = tmp_path / "program.toml"
    program.write_text(PROGRAM.replace("threshold = 3", "thresold = 3"))
    settings = isolated_settings(data_dir, program_file=program)
    with pytest.raises(ProgramFileError) as refused:
        async with running(settings, Servers("postgresql://unused", "nats://unused")):
            pass
    assert "alerts.rules.repeated-no-shows.thresold" in str(refused.value)
