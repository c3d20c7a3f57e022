"""Malformed graphql-transport-ws messages: the protocol asks the server to close the socket
with 4400 and a reason; without a check each of these ended the socket with no close frame
(1006) and an ASGI traceback in the log. The server keeps serving other sockets after."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.frames import Close

from carecoord.events import Role
from carecoord.graphql.app import INIT_WAIT, MAX_CLOSE_REASON_BYTES
from support import GRAPHQL_WS, Api

SUBSCRIPTION = "subscription($id: UUID!) { timeline(clientId: $id, after: 0) { type } }"

MALFORMED = [
    "{not json",
    '{"type": "ping", "payload": NaN}',
    "[" * 100_000 + "]" * 100_000,
    "[]",
    "5",
    "null",
    '"subscribe"',
    json.dumps({"id": [], "type": "subscribe", "payload": {"query": SUBSCRIPTION}}),
    json.dumps({"id": None, "type": "subscribe", "payload": {"query": SUBSCRIPTION}}),
    json.dumps({"id": "1", "type": "subscribe", "payload": None}),
    json.dumps({"id": "1", "type": "subscribe", "payload": "x"}),
    json.dumps({"id": "1", "type": "subscribe", "payload": {"query": 5}}),
    json.dumps(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": [1]}}
    ),
    json.dumps(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "operationName": 5}}
    ),
    json.dumps({"id": [], "type": "complete"}),
    '{"type": "\\ud800"}',
    # What the reference implementation (npm graphql-ws) refuses too: an operation's id of
    # no characters (echoed back, it is refused by the reference client), and a ping's or
    # pong's payload that is no object. Each was taken (a next under id "", a pong).
    json.dumps({"id": "", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}),
    json.dumps({"id": "", "type": "complete"}),
    json.dumps({"type": "ping", "payload": "x"}),
    json.dumps({"type": "pong", "payload": [1]}),
]


async def close_frame(api: Api, *messages: str) -> Close:
    """The close frame the server answers ``messages`` with, after a connection_ack."""
    token = api.token(Role.NURSE)
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS, max_size=None) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for message in messages:
            await ws.send(message)
        await asyncio.wait_for(ws.wait_closed(), 5)
        closed = ws.protocol.close_rcvd
    assert closed is not None, "closed without a close frame"
    assert await api.gql("{ __typename }", role=Role.NURSE) == {"data": {"__typename": "Query"}}
    return closed


@pytest.mark.shared_platform
@pytest.mark.parametrize("message", MALFORMED, ids=range(len(MALFORMED)))
async def test_a_malformed_message_closes_the_socket_with_4400(api: Api, message: str) -> None:
    closed = await close_frame(api, message)
    assert closed.code == 4400
    assert closed.reason


@pytest.mark.shared_platform
async def test_a_reason_quoting_a_long_value_is_cut_to_fit_the_close_frame(api: Api) -> None:
    """A close frame's reason is at most 123 bytes; one quoting the client's value whole
    could not be sent, and the socket ended with no close frame at all."""
    unknown = await close_frame(api, json.dumps({"type": "é" * 300}))
    assert unknown.code == 4400
    assert unknown.reason.startswith("Unknown message type: éé")
    assert len(unknown.reason.encode()) <= MAX_CLOSE_REASON_BYTES
    subscribe = {"id": "i" * 300, "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
    twice = await close_frame(api, json.dumps(subscribe), json.dumps(subscribe))
    assert twice.code == 4409
    assert twice.reason.startswith("Subscriber for iii")


@pytest.mark.shared_platform
async def test_a_socket_that_never_sends_connection_init_is_closed_with_4408(api: Api) -> None:
    """Held open unauthenticated for a minute before; now for ``INIT_WAIT``."""
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        await asyncio.wait_for(ws.wait_closed(), INIT_WAIT.total_seconds() + 5)
        closed = ws.protocol.close_rcvd
    assert closed is not None, "closed without a close frame"
    assert (closed.code, closed.reason) == (4408, "Connection initialisation timeout")
