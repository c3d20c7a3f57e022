"""A subscription resumed ``after`` a position the store has not reached (another
database's, or mistyped) is refused naming ``after``, and nothing is logged: the feed
waited unseen until the store passed it, then skipped everything recorded before it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
TIMELINE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type } }"""
CASELOAD_ALERTS = """subscription($after: Seq) {
  alertsForMyCaseload(after: $after) { alertId } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) { operation } }"""
FAR_AHEAD = 2_000_000_000


async def next_message(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return message


async def enrolled_with_nurse(api: Api) -> str:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Noor", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, "nurse-resume")
    return client_id


@pytest.mark.parametrize(
    ("query", "variables"),
    [(TIMELINE, {"after": FAR_AHEAD}), (CASELOAD_ALERTS, {"after": FAR_AHEAD})],
    ids=["timeline", "alerts-for-my-caseload"],
)
async def test_resuming_past_the_last_recorded_position_is_refused(
    api: Api, query: str, variables: dict[str, Any]
) -> None:
    client_id = await enrolled_with_nurse(api)
    token = api.token(Role.NURSE, "nurse-resume")

    async with api.subscription(token, query, {"id": client_id, **variables}) as ws:
        refused = await next_message(ws)
        ended = await next_message(ws)

    assert refused["type"] == "next", refused
    assert refused["payload"]["data"] is None
    assert refused["payload"]["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "after",
        "rule": "recorded-position",
    }
    assert ended == {"id": "1", "type": "complete"}
    logged = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-resume")
    assert [e["operation"] for e in logged["accessLog"]] == []


async def test_resuming_at_the_position_a_write_answered_delivers_what_follows(api: Api) -> None:
    client_id = await enrolled_with_nurse(api)
    after = await api.join_care_team(client_id, Role.PRESCRIBER, "dr-resume")
    token = api.token(Role.NURSE, "nurse-resume")

    async with api.subscription(token, TIMELINE, {"id": client_id, "after": after}) as ws:
        later = await api.join_care_team(client_id, Role.THERAPIST, "ther-resume")
        delivered = await next_message(ws)

    assert delivered["payload"]["data"]["timeline"] == {
        "position": later,
        "type": "careteam.CareTeamMemberAssigned",
    }
