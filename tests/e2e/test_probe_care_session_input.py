"""What a therapist sends that the record would not keep is refused naming the field, and
nothing is recorded. Before, a session booked for 2199 was kept (the client's next session on
every caseload, for good), a 5,000-character clinicianId came back whole in the refusal, the
length or reason sent with a no-show was dropped without a word, a note or a cancellation
dated 1950 was kept on a session booked today, and so was a note of zero-width characters."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, ago, ahead, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
NOTE = mutation("SessionNoteInput", "recordSessionNote")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { nodes { type facts } } }"""
THERAPIST = "ther-input"


async def as_therapist(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.THERAPIST, user=THERAPIST)


def refused(body: dict[str, Any], field: str, rule: str, code: str = "BAD_USER_INPUT") -> str:
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "field": field, "rule": rule}
    message: str = error["message"]
    return message


async def test_a_far_booking_a_long_clinician_and_a_no_shows_length_are_refused(
    api: Api,
) -> None:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Ira", "program": "IOP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    booking = {
        "clientIds": [client_id], "modality": "CBT", "format": "INDIVIDUAL",
        "scheduledFor": ago(days=1), "plannedMinutes": 50,
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

    assert await therapy_types(api, client_id, position) == [
        "therapy.SessionNoShow", "therapy.SessionScheduled",
    ], "the refused requests recorded nothing"  # fmt: skip


async def therapy_types(api: Api, client_id: str, position: int) -> list[str]:
    timeline = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    nodes = timeline["clientTimeline"]["nodes"]
    return sorted(n["type"] for n in nodes if n["type"].startswith("therapy."))


async def test_a_note_or_cancellation_the_record_would_not_keep_is_refused(api: Api) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Jo", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    booked = await as_therapist(
        api, SCHEDULE, clientIds=[client_id], modality="CBT", format="INDIVIDUAL",
        scheduledFor=ahead(days=7), plannedMinutes=50,
    )  # fmt: skip
    session_id = booked["data"]["scheduleSession"]["id"]
    long_ago = "1950-01-01T10:00:00Z"
    cancelling = [{"clientId": client_id, "outcome": "LATE_CANCELLED"}]
    cancel = {"sessionId": session_id, "attendance": cancelling}
    for body in (
        await as_therapist(api, NOTE, clientId=client_id, sessionId=session_id, note="called",
                           occurredAt=long_ago),
        await as_therapist(api, ATTENDANCE, **cancel, occurredAt=long_ago),
    ):  # fmt: skip
        refused(body, "occurredAt", "before-booking", "RULE_VIOLATION")
    invisible = await as_therapist(
        api, NOTE, clientId=client_id, sessionId=session_id, note="\u200b\u2060"
    )
    refused(invisible, "note", "note-text")
    cancelled = await as_therapist(api, ATTENDANCE, **cancel)
    position = cancelled["data"]["recordAttendance"]["position"]
    assert await therapy_types(api, client_id, position) == [
        "therapy.SessionLateCancelled", "therapy.SessionScheduled",
    ]  # fmt: skip
