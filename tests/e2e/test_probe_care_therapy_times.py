"""What a therapist says happened has happened by now: a booking, an outcome or a note dated
in the future is refused naming ``occurredAt``, and nothing is recorded. Before, a session
"attended" and a note "written" in 2100 were accepted, sorted after everything else on the
client's timeline for the rest of their treatment, as check-ins and doses never were."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
NOTE = mutation("SessionNoteInput", "recordSessionNote")
COUNSELING_NOTE = mutation("SessionNoteInput", "recordCounselingNote")
TIMELINE = """query($id: UUID!) { clientTimeline(clientId: $id, first: 100) { nodes { type } } }"""
THERAPIST = "ther-dates"
LATER = "2100-01-01T09:00:00Z"


async def as_therapist(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.THERAPIST, user=THERAPIST)


def refused_as_future(body: dict[str, Any]) -> None:
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "occurredAt", "rule": "not-in-future",
    }, error  # fmt: skip


async def test_a_booking_outcome_or_note_dated_in_the_future_is_refused(api: Api) -> None:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Sol", "program": "IOP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    booking = {
        "clientIds": [client_id], "modality": "DBT", "format": "INDIVIDUAL",
        "scheduledFor": ago(days=1), "plannedMinutes": 50,
    }  # fmt: skip

    refused_as_future(await as_therapist(api, SCHEDULE, **booking, occurredAt=LATER))
    booked = await as_therapist(api, SCHEDULE, **booking)
    session_id = booked["data"]["scheduleSession"]["id"]
    attended = [{"clientId": client_id, "outcome": "ATTENDED"}]
    late = await as_therapist(
        api, ATTENDANCE, sessionId=session_id, attendance=attended, durationMinutes=50,
        occurredAt=LATER,
    )  # fmt: skip
    refused_as_future(late)
    for query in (NOTE, COUNSELING_NOTE):
        refused_as_future(
            await as_therapist(
                api, query, clientId=client_id, sessionId=session_id, note="n", occurredAt=LATER
            )
        )

    timeline = await api.ok(TIMELINE, {"id": client_id}, role=Role.THERAPIST, user=THERAPIST)
    therapy = [n["type"] for n in timeline["clientTimeline"]["nodes"] if "therapy." in n["type"]]
    assert therapy == ["therapy.SessionScheduled"], "the refused ones record nothing"
    ok = await as_therapist(
        api, ATTENDANCE, sessionId=session_id, attendance=attended, durationMinutes=50
    )
    assert not ok.get("errors"), ok


async def test_an_attended_or_no_show_outcome_dated_before_the_session_began_is_refused(
    api: Api,
) -> None:
    """Before, a session booked for yesterday was recorded attended in 1990."""
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Rae", "program": "IOP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    booked = await as_therapist(  # the hour before the other test's session: one therapist
        api, SCHEDULE, clientIds=[client_id], modality="CBT", format="INDIVIDUAL",
        scheduledFor=ago(days=1, hours=1), plannedMinutes=50,
    )  # fmt: skip
    session_id = booked["data"]["scheduleSession"]["id"]
    for outcome, minutes in (("ATTENDED", 50), ("NO_SHOW", None)):
        early = await as_therapist(
            api, ATTENDANCE, sessionId=session_id, durationMinutes=minutes,
            attendance=[{"clientId": client_id, "outcome": outcome}],
            occurredAt="1990-01-01T10:00:00Z",
        )  # fmt: skip
        [error] = early["errors"]
        assert error["extensions"] == {
            "code": "RULE_VIOLATION", "field": "occurredAt", "rule": "outcome-before-start",
        }, error  # fmt: skip
    on_time = await as_therapist(
        api, ATTENDANCE, sessionId=session_id, durationMinutes=50,
        attendance=[{"clientId": client_id, "outcome": "ATTENDED"}],
        occurredAt=ago(hours=23, minutes=55),
    )  # fmt: skip
    assert not on_time.get("errors"), on_time
