"""A program admin suspends a user: from then on their every request over HTTP is refused,
their open subscription ends with the refusal and complete and its socket is closed, a
suspended admin suspends and reinstates no one, and auditors see who did it, when and why."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest
from websockets.exceptions import ConnectionClosed

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SUSPEND = mutation("UserAccessInput", "suspendUser")
REINSTATE = mutation("UserAccessInput", "reinstateUser")
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { type position } }"""
CARE_TEAM = "query($id: UUID!) { careTeam(clientId: $id) { memberId } }"
CHANGES = """query($user: String!, $at: Seq) {
  userAccessChanges(userId: $user, atLeast: $at) { change by reason program } }"""


async def next_message(ws: Any, timeout: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


@pytest.mark.shared_platform
async def test_a_suspended_user_is_refused_everywhere_at_once(api: Api) -> None:
    nurse, admin = f"nurse-{uuid4().hex[:8]}", f"admin-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    after = await api.join_care_team(client_id, Role.NURSE, nurse)
    as_nurse: dict[str, Any] = {"role": Role.NURSE, "user": nurse}
    await api.ok(CARE_TEAM, {"id": client_id}, **as_nurse)
    left = {"userId": nurse, "reason": "left the program"}

    blank = await api.gql(SUSPEND, {"input": {**left, "reason": "  "}}, role=Role.PROGRAM_ADMIN)
    assert refusal(blank) == ("BAD_USER_INPUT", "reason", "reason-required")
    itself = await api.gql(
        SUSPEND, {"input": {**left, "userId": admin}}, role=Role.PROGRAM_ADMIN, user=admin
    )
    assert refusal(itself) == ("FORBIDDEN", "userId", "not-self")

    token = api.token(Role.NURSE, nurse)
    async with api.subscription(token, SUBSCRIBE, {"id": client_id, "after": after}) as ws:
        suspended = await api.ok(SUSPEND, {"input": left}, role=Role.PROGRAM_ADMIN, user=admin)
        ended = await next_message(ws)
        assert ended["id"] == "1"
        assert refusal(ended["payload"]) == ("FORBIDDEN", "authorization", "user-suspended")
        assert await next_message(ws) == {"id": "1", "type": "complete"}
        with pytest.raises(ConnectionClosed):
            await next_message(ws)
        closed = ws.protocol.close_rcvd
    assert closed is not None
    assert closed.code == 4403
    assert closed.reason.startswith("FORBIDDEN user-suspended")

    read = await api.gql(CARE_TEAM, {"id": client_id}, **as_nurse)
    assert refusal(read) == ("FORBIDDEN", "authorization", "user-suspended")
    assert read["data"] is None
    wrote = await api.gql(CHECK_IN, {"input": {"clientId": client_id, "mood": 6}}, **as_nurse)
    assert refusal(wrote) == ("FORBIDDEN", "authorization", "user-suspended")
    again = await api.gql(SUSPEND, {"input": left}, role=Role.PROGRAM_ADMIN)
    assert refusal(again) == ("RULE_VIOLATION", "userId", "already-suspended")

    # A suspended admin ends and gives back no one's access.
    await api.ok(
        SUSPEND, {"input": {"userId": admin, "reason": "token stolen"}}, role=Role.PROGRAM_ADMIN
    )
    by_suspended = await api.gql(REINSTATE, {"input": left}, role=Role.PROGRAM_ADMIN, user=admin)
    assert refusal(by_suspended) == ("FORBIDDEN", "authorization", "user-suspended")

    back = await api.ok(
        REINSTATE, {"input": {**left, "reason": "rehired"}}, role=Role.PROGRAM_ADMIN
    )
    await api.ok(CARE_TEAM, {"id": client_id}, **as_nurse)
    position = back["reinstateUser"]["position"]
    assert position > suspended["suspendUser"]["position"]
    seen = await api.ok(CHANGES, {"user": nurse, "at": position}, role=Role.AUDITOR)
    assert seen["userAccessChanges"] == [
        {"change": "SUSPENDED", "by": admin, "reason": "left the program", "program": None},
        {"change": "REINSTATED", "by": "program_admin-1", "reason": "rehired", "program": None},
    ]
    nursed = await api.gql(CHANGES, {"user": nurse}, **as_nurse)
    assert refusal(nursed)[2] == "role-may-read"


@pytest.mark.shared_platform
async def test_an_admin_of_one_program_suspends_only_that_programs_users(api: Api) -> None:
    north, south = (f"{side} {uuid4().hex[:8]}" for side in ("North", "South"))
    nurse = f"nurse-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": north}}, role=Role.PROGRAM_ADMIN
    )
    await api.join_care_team(enrolled["enrollClient"]["id"], Role.NURSE, nurse)
    left = {"input": {"userId": nurse, "reason": "left the program"}}
    of_north, of_south = (
        issue_token(api.platform.settings, f"admin-{uuid4().hex[:8]}", Role.PROGRAM_ADMIN,
                    program=program)
        for program in (north, south)
    )  # fmt: skip

    for query, variables in ((SUSPEND, left), (CHANGES, {"user": nurse})):
        body = await api.gql(query, variables, token=of_south)
        assert refusal(body) == ("FORBIDDEN", "userId", "admin-program")
        assert nurse not in body["errors"][0]["message"]
    await api.ok(SUSPEND, left, token=of_north)
    # Nor does another program's admin learn that the user is suspended, by whom or why.
    body = await api.gql(REINSTATE, left, token=of_south)
    assert refusal(body) == ("FORBIDDEN", "userId", "admin-program")
    assert north not in body["errors"][0]["message"]
    await api.ok(REINSTATE, left, token=of_north)


async def test_a_push_after_the_suspension_is_refused_before_the_socket_is_closed(
    api: Api,
) -> None:
    """The watch that closes a suspended user's socket asks at each commit, and may not have
    asked yet (here: it is stopped): each push asks it of what it pushes, so nothing recorded
    after the suspension reaches the user meanwhile."""
    nurse = f"nurse-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)
    after = await api.join_care_team(client_id, Role.NURSE, nurse)
    check_in = {"input": {"clientId": client_id, "mood": 6}}
    token = api.token(Role.NURSE, nurse)
    async with api.subscription(token, SUBSCRIBE, {"id": client_id, "after": after}) as ws:
        await api.ok(CHECK_IN, check_in, role=Role.NURSE)
        assert (await next_message(ws))["type"] == "next"
        assert api.platform.suspended is not None
        await api.platform.suspended.stop()
        left = {"userId": nurse, "reason": "left the program"}
        await api.ok(SUSPEND, {"input": left}, role=Role.PROGRAM_ADMIN)
        await api.ok(CHECK_IN, check_in, role=Role.NURSE)
        # The push's refusal (the watch, woken by its ask, may send its own too): no entry.
        ended = await next_message(ws)
        assert refusal(ended["payload"]) == ("FORBIDDEN", "authorization", "user-suspended")


@pytest.mark.shared_platform
async def test_a_programs_admin_suspends_its_client_by_their_id_however_written(
    api: Api,
) -> None:
    program = f"North {uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": program}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    admin = issue_token(api.platform.settings, "admin-north", Role.PROGRAM_ADMIN, program=program)
    lost = {"input": {"userId": client_id.upper(), "reason": "phone stolen"}}

    await api.ok(SUSPEND, lost, token=admin)

    read = await api.gql("{ __typename }", token=api.token(Role.CLIENT, client_id))
    assert refusal(read) == ("FORBIDDEN", "authorization", "user-suspended")
