"""Malformed graphql-transport-ws messages: the protocol asks the server to close the socket
with 4400 and a reason; without a check each of these ended the socket with no close frame
(1006) and an ASGI traceback in the log. The server keeps serving other sockets after."""

from __future__ import annotations

import json

import pytest
import websockets

from carecoord.events import Role
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
]


@pytest.mark.shared_platform
@pytest.mark.parametrize("message", MALFORMED, ids=range(len(MALFORMED)))
async def test_a_malformed_message_closes_the_socket_with_4400(api: Api, message: str) -> None:
    token = api.token(Role.NURSE)
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS, max_size=None) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(message)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None, "closed without a close frame"
    assert closed.value.rcvd.code == 4400
    assert closed.value.rcvd.reason
    assert await api.gql("{ __typename }", role=Role.NURSE) == {"data": {"__typename": "Query"}}
