"""A session's clinician through the API: a therapist or prescriber on the client's care team.
Before, ``clinicianId`` took any string, and a session could be led by someone the program
never heard of, or by the peer supporter. A refusal names ``clinicianId`` and records nothing;
a clinician who leaves the team keeps the sessions booked with them."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
LEAVE = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { nodes { type facts } } }"""
THERAPIST, DOCTOR, PEER = "ther-lead", "dr-lead", "peer-lead"


async def book(api: Api, client_id: str, **given: Any) -> dict[str, Any]:
    booking = {
        "clientIds": [client_id], "modality": "CBT", "format": "INDIVIDUAL",
        "scheduledFor": ago(days=10), "plannedMinutes": 50, "occurredAt": ago(days=20),
    }  # fmt: skip
    return await api.gql(SCHEDULE, {"input": booking | given}, role=Role.THERAPIST, user=THERAPIST)


def refusal(body: dict[str, Any], rule: str) -> str:
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "RULE_VIOLATION", "field": "clinicianId", "rule": rule,
    }, error  # fmt: skip
    message: str = error["message"]
    return message


async def leaders(api: Api, client_id: str, position: int) -> list[str]:
    data = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    nodes = data["clientTimeline"]["nodes"]
    return [n["facts"]["clinician_id"] for n in nodes if n["type"] == "therapy.SessionScheduled"]


async def test_a_session_is_led_by_a_therapist_or_prescriber_on_the_care_team(api: Api) -> None:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Lou", "program": "IOP", "occurredAt": ago(days=30)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    for role, user in ((Role.THERAPIST, THERAPIST), (Role.PEER_SUPPORTER, PEER)):
        await api.join_care_team(client_id, role, user)

    stranger = refusal(
        await book(api, client_id, clinicianId="dr-nobody"), "clinician-on-care-team"
    )
    assert f"dr-nobody is not on client {client_id}'s care team" in stranger
    peer = refusal(await book(api, client_id, clinicianId=PEER), "clinician-role")
    assert "as peer_supporter; a session is led by a prescriber or therapist" in peer
    blank = (await book(api, client_id, clinicianId=" "))["errors"][0]["extensions"]
    assert (blank["code"], blank["field"]) == ("BAD_USER_INPUT", "clinicianId")

    await api.join_care_team(client_id, Role.PRESCRIBER, DOCTOR)
    led = await book(api, client_id, clinicianId=DOCTOR)
    session_id = led["data"]["scheduleSession"]["id"]
    own = await book(api, client_id, scheduledFor=ago(days=9))
    assert await leaders(api, client_id, own["data"]["scheduleSession"]["position"]) == [
        DOCTOR, THERAPIST,
    ], "the refused bookings recorded nothing"  # fmt: skip

    left = await api.ok(
        LEAVE, {"input": {"clientId": client_id, "memberId": DOCTOR, "reason": "moved"}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    gone = refusal(await book(api, client_id, clinicianId=DOCTOR), "clinician-on-care-team")
    assert "their membership ended" in gone
    attended = await api.ok(
        ATTENDANCE,
        {"input": {"sessionId": session_id, "durationMinutes": 50,
                   "attendance": [{"clientId": client_id, "outcome": "ATTENDED"}]}},
        role=Role.THERAPIST, user=THERAPIST,
    )  # fmt: skip
    assert attended["recordAttendance"]["id"] == session_id
    position = max(
        left["endCareTeamMembership"]["position"], attended["recordAttendance"]["position"]
    )
    assert await leaders(api, client_id, position) == [DOCTOR, THERAPIST]
