"""Each operation sent over a websocket is a request of its own: its events carry a
correlation id of their own, as an HTTP request's do. The socket's context is shared by
its operations, and every mutation sent over one socket was recorded under the one id made
as it connected, so the events of unrelated requests read as caused by one."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID, uuid4

import pytest
import websockets

from carecoord.events import Role
from support import GRAPHQL_WS, Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")


async def enrolled_over_one_socket(api: Api, headers: dict[str, str]) -> list[UUID]:
    """The correlation ids of two enrolments sent over one socket, one after the other."""
    token = api.token(Role.PROGRAM_ADMIN)
    positions: list[int] = []
    async with websockets.connect(
        api.ws_url, subprotocols=GRAPHQL_WS, additional_headers=headers
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for n in range(2):
            variables = {"input": {"displayName": f"Kit {n}", "program": "OTP"}}
            payload = {"query": ENROLL, "variables": variables}
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
            answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert answer["type"] == "next", answer
            positions.append(answer["payload"]["data"]["enrollClient"]["position"])
            assert json.loads(await ws.recv())["type"] == "complete"
    found = [
        await asyncio.to_thread(api.platform.store.read, position - 1, 1)
        for position in positions
    ]
    return [page[0].event.correlation_id for page in found]


@pytest.mark.shared_platform
async def test_each_operation_over_a_socket_has_its_own_correlation_id(api: Api) -> None:
    first, second = await enrolled_over_one_socket(api, {})
    assert first != second


@pytest.mark.shared_platform
async def test_a_correlation_id_the_socket_names_is_every_operations(api: Api) -> None:
    named = uuid4()
    ids = await enrolled_over_one_socket(api, {"x-correlation-id": str(named)})
    assert ids == [named, named]
