"""An attended session's length typed wrong is corrected like any other outcome: a correction
to attended with another ``durationMinutes`` is recorded beside the first, and the same
length again is still refused as unchanged. Before, every correction of an attended session
to attended was refused (``outcome-unchanged``), so a 50-minute session entered as 5 stayed
5 minutes on the record, in the FHIR Encounter and in what the clinic bills, for good."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
CORRECT = mutation("CorrectSessionOutcomeInput", "correctSessionOutcome")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { nodes { type facts } } }"""
THERAPIST = "ther-length"


async def as_therapist(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.THERAPIST, user=THERAPIST)


async def test_an_attended_sessions_length_is_corrected(api: Api) -> None:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Uma", "program": "IOP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    booked = await as_therapist(
        api, SCHEDULE, clientIds=[client_id], modality="CBT", format="INDIVIDUAL",
        scheduledFor=ago(days=1), plannedMinutes=50,
    )  # fmt: skip
    session_id = booked["data"]["scheduleSession"]["id"]
    await as_therapist(
        api, ATTENDANCE, sessionId=session_id, durationMinutes=5,
        attendance=[{"clientId": client_id, "outcome": "ATTENDED"}],
    )  # fmt: skip

    fixed = await as_therapist(
        api, CORRECT, clientId=client_id, sessionId=session_id, outcome="ATTENDED",
        durationMinutes=50, reason="typed 5 for 50",
    )  # fmt: skip
    assert not fixed.get("errors"), fixed
    again = await as_therapist(
        api, CORRECT, clientId=client_id, sessionId=session_id, outcome="ATTENDED",
        durationMinutes=50, reason="again",
    )  # fmt: skip
    [error] = again["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "outcome", "outcome-unchanged",
    )  # fmt: skip
    assert "(50 min)" in error["message"]

    position = fixed["data"]["correctSessionOutcome"]["position"]
    found = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    facts = {n["type"]: n["facts"] for n in found["clientTimeline"]["nodes"]}
    assert facts["therapy.SessionAttended"]["duration_minutes"] == 5, "the first stays"
    correction = facts["therapy.SessionOutcomeCorrected"]
    assert (correction["previous_outcome"], correction["outcome"]) == ("attended", "attended")
    assert correction["duration_minutes"] == 50
