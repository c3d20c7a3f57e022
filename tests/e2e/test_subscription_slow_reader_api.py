"""A timeline subscription hands over a batch of entries one push at a time, and its reader
takes each when it likes: one that reads slowly (a stalled socket, a phone in a tunnel)
took the rest of a batch decided before its care-team membership ended, after it ended.
Each push after the reader took the last is decided on access as it stands then."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket
from strawberry.types import ExecutionResult

from carecoord.events import Role
from carecoord.graphql.context import RequestContext
from carecoord.graphql.schema import build_schema
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
TIMELINE = """subscription($id: UUID!, $after: Int) {
  timeline(clientId: $id, after: $after) { position type } }"""
SHOWN = """query($id: UUID!, $at: Int) {
  clientTimeline(clientId: $id, atLeast: $at) { edges { node { position } } } }"""


async def unused(*_: Any) -> Any:
    raise AssertionError("the test pulls the subscription itself")


async def reading(api: Api, token: str, client_id: str, after: int) -> AsyncGenerator[Any, None]:
    """The subscription as the socket runs it, pulled by the test one push at a time."""
    socket = WebSocket({"type": "websocket", "headers": []}, unused, unused)
    context = RequestContext(api.platform, socket, None, {"Authorization": f"Bearer {token}"})
    started = await build_schema().subscribe(
        TIMELINE, variable_values={"id": client_id, "after": after}, context_value=context
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
    feed = await reading(api, token, client_id, after)

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
