"""A socket sending messages past its rate (``graphql/message_rate.py``) is closed with 1008
and the rule, and counted as refused; the other sockets are pushed to as before. A socket
opening, completing and replacing its whole share of subscriptions at once stays inside it.
Before, a socket sending pings (or subscribe and complete) as fast as it could was read and
answered on for ever, every message on the event loop all pushes of the process wait on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from carecoord.events import Role
from carecoord.graphql.app import MAX_OPERATIONS_PER_SOCKET
from carecoord.graphql.message_rate import MESSAGES_AT_ONCE
from support import GRAPHQL_WS, Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
TIMELINE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position } }"""
FLOOD = 20 * MESSAGES_AT_ONCE
PING = json.dumps({"type": "ping"})


async def next_message(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return message


async def pongs_only(ws: Any) -> None:
    """Read the pongs of the pings the server took, until the socket ends."""
    while True:
        assert (await next_message(ws))["type"] == "pong"


async def followed(api: Api, nurse: str) -> tuple[str, int]:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Ari", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = enrolled["enrollClient"]["id"]
    return client_id, await api.join_care_team(client_id, Role.NURSE, nurse)


async def check_in(api: Api, client_id: str, nurse: str) -> int:
    data = await api.ok(
        CHECK_IN, {"input": {"clientId": client_id, "mood": 5}}, role=Role.NURSE, user=nurse
    )
    return int(data["recordCheckIn"]["position"])


async def test_a_socket_sending_past_its_rate_is_closed_and_others_are_pushed_to(
    api: Api,
) -> None:
    nurse = "nurse-rate"
    client_id, after = await followed(api, nurse)
    refused_before = await api.refusals("BAD_REQUEST", "messages-per-socket")
    token = api.token(Role.NURSE, nurse)
    variables = {"id": client_id, "after": after}

    async with api.subscription(token, TIMELINE, variables) as watching:
        async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as flooding:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await flooding.send(json.dumps(init))
            assert (await next_message(flooding))["type"] == "connection_ack"
            with contextlib.suppress(ConnectionClosed):  # closed while it still sends
                for _ in range(FLOOD):
                    await flooding.send(PING)
            with pytest.raises(ConnectionClosed):
                await pongs_only(flooding)
            closed = flooding.protocol.close_rcvd
        recorded = await check_in(api, client_id, nurse)
        pushed = await next_message(watching)

    assert closed is not None, "closed without a close frame"
    assert (closed.code, closed.reason) == (
        1008,
        "BAD_REQUEST messages-per-socket: at most 50 messages a second on one socket (400 at once)",
    )
    assert pushed["payload"]["data"] == {"timeline": {"position": recorded}}
    assert await api.refusals("BAD_REQUEST", "messages-per-socket") == refused_before + 1


async def test_a_socket_replacing_all_its_subscriptions_at_once_is_served(api: Api) -> None:
    nurse = "nurse-rate-burst"
    client_id, after = await followed(api, nurse)
    subscribe = {"query": TIMELINE, "variables": {"id": client_id, "after": after}}
    token = api.token(Role.NURSE, nurse)

    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert (await next_message(ws))["type"] == "connection_ack"
        for round_ in ("first", "then"):
            for n in range(MAX_OPERATIONS_PER_SOCKET):
                await ws.send(
                    json.dumps({"id": f"{round_}-{n}", "type": "subscribe", "payload": subscribe})
                )
            if round_ == "first":
                for n in range(MAX_OPERATIONS_PER_SOCKET):
                    await ws.send(json.dumps({"id": f"first-{n}", "type": "complete"}))
        await ws.send(PING)  # answered once every message before it was handled
        assert await next_message(ws) == {"type": "pong"}
        recorded = await check_in(api, client_id, nurse)
        pushed = [await next_message(ws) for _ in range(MAX_OPERATIONS_PER_SOCKET)]

    assert sorted(m["id"] for m in pushed) == sorted(
        f"then-{n}" for n in range(MAX_OPERATIONS_PER_SOCKET)
    )
    assert {m["payload"]["data"]["timeline"]["position"] for m in pushed} == {recorded}
