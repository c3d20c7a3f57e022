"""One socket runs at most ``MAX_OPERATIONS_PER_SOCKET`` operations at once; one more is
answered with an ``error`` naming the limit and a code, and the socket and its other
subscriptions go on. Before, strawberry's bare ``Subscription limit reached`` said neither
the limit nor what to do, and carried no ``extensions.code``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from carecoord.events import Role
from carecoord.graphql.app import MAX_OPERATIONS_PER_SOCKET
from support import GRAPHQL_WS, Api

pytestmark = pytest.mark.shared_platform

FEED = "subscription { alertsForMyCaseload { alertId } }"


def subscribe(id_: str) -> str:
    return json.dumps({"id": id_, "type": "subscribe", "payload": {"query": FEED}})


async def test_one_operation_past_the_limit_is_refused_naming_it(api: Api) -> None:
    token = api.token(Role.NURSE)
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for n in range(MAX_OPERATIONS_PER_SOCKET):
            await ws.send(subscribe(str(n)))
        await ws.send(subscribe("one-more"))
        refused = await next_message(ws)

        assert refused["id"] == "one-more"
        assert refused["type"] == "error"
        [error] = refused["payload"]
        assert f"at most {MAX_OPERATIONS_PER_SOCKET} operations" in error["message"]
        assert error["extensions"] == {"code": "BAD_REQUEST", "rule": "operations-per-socket"}

        # one completed makes room; the socket served on throughout
        await ws.send(json.dumps({"id": "0", "type": "complete"}))
        await ws.send(json.dumps({"type": "ping"}))
        assert (await next_message(ws))["type"] == "pong"
        await ws.send(subscribe("in-its-place"))
        await ws.send(json.dumps({"type": "ping"}))
        assert await next_message(ws) == {"type": "pong"}  # no error for it


async def next_message(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return message
