"""What a therapist sends that the record would not keep is refused naming the field, and
nothing is recorded. Before, a session booked for 2199 was kept (the client's next session on
every caseload, for good), a 5,000-character clinicianId came back whole in the refusal, and
the length or reason sent with a no-show was dropped without a word."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
TIMELINE = """query($id: UUID!, $atLeast: Int) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { nodes { type facts } } }"""
THERAPIST = "ther-input"


async def as_therapist(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.THERAPIST, user=THERAPIST)


def refused(body: dict[str, Any], field: str, rule: str) -> str:
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field, "rule": rule}
    message: str = error["message"]
    return message


async def test_a_far_booking_a_long_clinician_and_a_no_shows_length_are_refused(
    api: Api,
) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ira", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    booking = {
        "clientIds": [client_id], "modality": "CBT", "format": "INDIVIDUAL",
        "scheduledFor": yesterday, "plannedMinutes": 50,
    }  # fmt: skip

    far = await as_therapist(api, SCHEDULE, **booking | {"scheduledFor": "2199-06-01T10:00:00Z"})
    assert "more than 366 days ahead" in refused(far, "scheduledFor", "booking-horizon")
    long = await as_therapist(api, SCHEDULE, **booking, clinicianId="x" * 5000)
    assert len(refused(long, "clinicianId", "clinician-id")) < 200

    booked = await as_therapist(api, SCHEDULE, **booking)
    session_id = booked["data"]["scheduleSession"]["id"]
    no_show = {
        "sessionId": session_id,
        "attendance": [{"clientId": client_id, "outcome": "NO_SHOW"}],
    }
    length = await as_therapist(api, ATTENDANCE, **no_show, durationMinutes=50)
    refused(length, "durationMinutes", "duration-unexpected")
    reason = await as_therapist(api, ATTENDANCE, **no_show, reason="in hospital")
    refused(reason, "reason", "reason-unexpected")
    recorded = await as_therapist(api, ATTENDANCE, **no_show)
    position = recorded["data"]["recordAttendance"]["position"]

    timeline = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    nodes = [n for n in timeline["clientTimeline"]["nodes"] if n["type"].startswith("therapy.")]
    assert sorted(n["type"] for n in nodes) == [
        "therapy.SessionNoShow", "therapy.SessionScheduled",
    ], "the refused requests recorded nothing"  # fmt: skip
