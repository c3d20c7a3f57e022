"""``read_database_url``: the API's read-model queries go to a second pool, a streaming
replica's in a deployment. Here it names the same database, so the answers must be the same
as without it; what is checked is that the reads (the access views the gate decides on
among them) went through that pool, and that reading your own write waited where it reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import isolated_settings, serving, started

from carecoord.events import Role
from carecoord.services.runtime.bootstrap import Servers
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
CHECK_IN = """mutation($input: RecordCheckInInput!) {
  recordCheckIn(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Int) {
  clientTimeline(clientId: $id, atLeast: $atLeast) {
    edges { node { type kind } } projectedPosition } }"""
CARE_TEAM = """query($id: UUID!) { careTeam(clientId: $id) { memberId role endedAt } }"""


@pytest.fixture
async def replica_api(servers: Servers, data_dir: Path) -> AsyncIterator[Api]:
    async with (
        started(isolated_settings(data_dir), servers, reads_as_replica=True) as platform,
        serving(platform) as base_url,
    ):
        api = Api(platform, base_url)
        try:
            yield api
        finally:
            await api.http.aclose()


async def test_the_api_reads_the_views_through_the_read_database(replica_api: Api) -> None:
    api = replica_api
    platform = api.platform
    assert platform.replica is not None
    assert platform.reads is platform.replica
    served_before = platform.replica.get_stats().get("requests_num", 0)

    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Alex R.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)
    checked_in = await api.ok(
        CHECK_IN,
        {"input": {"clientId": client_id, "mood": 4}},
        role=Role.CLIENT,
        user=client_id,
    )
    position = checked_in["recordCheckIn"]["position"]
    page = await api.ok(TIMELINE, {"id": client_id, "atLeast": position}, role=Role.NURSE)
    team = await api.ok(CARE_TEAM, {"id": client_id}, role=Role.NURSE)

    assert [e["node"]["type"] for e in page["clientTimeline"]["edges"]] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
        "checkins.CheckInRecorded",
    ]
    assert page["clientTimeline"]["projectedPosition"] >= position
    assert team["careTeam"] == [{"memberId": "nurse-1", "role": "nurse", "endedAt": None}]
    served = platform.replica.get_stats().get("requests_num", 0) - served_before
    assert served >= 4  # the grant's views, the timeline, its position, the care team
