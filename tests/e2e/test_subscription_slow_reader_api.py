"""A subscription hands over a batch (of a client's timeline entries, of a caseload's alerts)
one push at a time, and its reader takes each when it likes: one that reads slowly (a
stalled socket, a phone in a tunnel) took the rest of a batch decided before its care-team
membership ended, after it ended. Each push after the reader took the last is decided on
access as it stands then."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket
from strawberry.types import ExecutionResult

from carecoord.events import Role
from carecoord.graphql.context import RequestContext
from carecoord.graphql.schema import build_schema
from carecoord.projections import alerts
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
TIMELINE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type } }"""
CASELOAD_ALERTS = """subscription($after: Seq) {
  alertsForMyCaseload(after: $after) { clientId position } }"""
ALERTS = """query($id: UUID!) { clientAlerts(clientId: $id) { position } }"""
SHOWN = """query($id: UUID!, $at: Seq) {
  clientTimeline(clientId: $id, atLeast: $at) { edges { node { position } } } }"""


async def unused(*_: Any) -> Any:
    raise AssertionError("the test pulls the subscription itself")


async def reading(
    api: Api, token: str, query: str, variables: dict[str, Any]
) -> AsyncGenerator[Any, None]:
    """The subscription as the socket runs it, pulled by the test one push at a time."""
    socket = WebSocket({"type": "websocket", "headers": []}, unused, unused)
    context = RequestContext(api.platform, socket, None, {"Authorization": f"Bearer {token}"})
    started = await build_schema().subscribe(
        query, variable_values=variables, context_value=context
    )
    return cast("AsyncGenerator[Any, None]", started)


async def test_a_reader_taken_off_the_team_mid_batch_is_pushed_nothing_more(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Rae", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    after = await api.join_care_team(client_id, Role.NURSE, "nurse-slow")
    recorded = [
        (
            await api.ok(
                CHECK_IN,
                {"input": {"clientId": client_id, "craving": n}},
                role=Role.NURSE,
                user="nurse-slow",
            )
        )["recordCheckIn"]["position"]
        for n in range(3)
    ]
    token = api.token(Role.NURSE, "nurse-slow")
    # The three check-ins are in the view: the feed hands them over as one batch.
    await api.ok(SHOWN, {"id": client_id, "at": recorded[-1]}, token=token)
    feed = await reading(api, token, TIMELINE, {"id": client_id, "after": after})

    try:
        first = cast("ExecutionResult", await anext(feed))
        await api.ok(
            END,
            {"input": {"clientId": client_id, "memberId": "nurse-slow", "reason": "moved on"}},
            role=Role.PROGRAM_ADMIN,
        )
        later = cast("ExecutionResult", await anext(feed))
        with pytest.raises(StopAsyncIteration):
            await anext(feed)
    finally:
        await feed.aclose()

    assert first.data == {"timeline": {"position": recorded[0], "type": "checkins.CheckInRecorded"}}
    assert later.data is None, later.data
    assert later.errors is not None
    assert later.errors[0].extensions == {
        "code": "FORBIDDEN",
        "field": "clientId",
        "rule": "care-team-or-consent",
    }


async def enrolled(api: Api, name: str, nurse: str) -> str:
    data = await api.ok(
        ENROLL, {"input": {"displayName": name, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, nurse)
    return client_id


async def use_reported(api: Api, client_id: str, nurse: str) -> None:
    """A check-in reporting use: one alert (substance-use-reported)."""
    given = {"clientId": client_id, "substanceUse": True}
    await api.ok(CHECK_IN, {"input": given}, role=Role.NURSE, user=nurse)


async def alerts_of(api: Api, client_id: str, nurse: str, count: int) -> list[int]:
    """The positions of the client's alerts, once the view holds ``count`` of them."""
    for _ in range(100):
        data = await api.ok(ALERTS, {"id": client_id}, role=Role.NURSE, user=nurse)
        positions = sorted(a["position"] for a in data["clientAlerts"])
        if len(positions) >= count:
            return positions
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} alerts were not raised")


async def test_a_caseload_reader_taken_off_a_team_mid_batch_is_pushed_its_alerts_no_more(
    api: Api,
) -> None:
    nurse = "nurse-slow-caseload"
    left = await enrolled(api, "Sol", nurse)
    kept = await enrolled(api, "Tam", nurse)
    start = api.platform.progress.position(alerts.NAME)
    for _ in range(2):
        await use_reported(api, left, nurse)
    first_alert, _ = await alerts_of(api, left, nurse, 2)
    feed = await reading(api, api.token(Role.NURSE, nurse), CASELOAD_ALERTS, {"after": start})

    try:
        first = cast("ExecutionResult", await anext(feed))
        await api.ok(
            END,
            {"input": {"clientId": left, "memberId": nurse, "reason": "moved on"}},
            role=Role.PROGRAM_ADMIN,
        )
        await use_reported(api, kept, nurse)
        later = cast("ExecutionResult", await asyncio.wait_for(anext(feed), 10))
    finally:
        await feed.aclose()

    assert first.data == {"alertsForMyCaseload": {"clientId": left, "position": first_alert}}
    assert later.data is not None
    assert later.data["alertsForMyCaseload"]["clientId"] == kept
