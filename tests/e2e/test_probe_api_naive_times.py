"""A time without its UTC offset names no instant: the API refuses it naming the field, as
the export and access-as-of queries did, and records nothing. Before, a clinical time
sent so (``occurredAt: "2026-12-03T07:00:00"``) reached the future/enrolment check and
failed there as an internal error ("can't compare offset-naive and offset-aware
datetimes")."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
TIMELINE = """query($id: UUID!) { clientTimeline(clientId: $id) { edges { node { type } } } }"""
NAIVE = "2026-01-02T07:00:00"


@pytest.mark.shared_platform
async def test_a_time_without_its_offset_is_refused_naming_the_field(api: Api) -> None:
    enrolled = await api.gql(
        ENROLL,
        {"input": {"displayName": "Kit", "program": "OTP", "occurredAt": NAIVE}},
        role=Role.PROGRAM_ADMIN,
    )
    assert enrolled["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "occurredAt",
        "rule": "time-offset",
    }
    client = await api.ok(
        ENROLL, {"input": {"displayName": "Kit", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = client["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)
    body = await api.gql(
        CHECK_IN,
        {"input": {"clientId": client_id, "mood": 5, "occurredAt": NAIVE}},
        role=Role.NURSE,
    )
    assert body["errors"][0]["message"] == "occurredAt needs its UTC offset (e.g. Z)"
    assert body["errors"][0]["extensions"]["rule"] == "time-offset"
    timeline = await api.ok(TIMELINE, {"id": client_id}, role=Role.NURSE)
    recorded = [e["node"]["type"] for e in timeline["clientTimeline"]["edges"]]
    assert "checkins.CheckInRecorded" not in recorded
