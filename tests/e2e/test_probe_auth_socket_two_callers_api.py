"""A socket whose upgrade request carries one token and whose connection_init payload another
is closed naming it (``header-repeated``): it acted as the payload's caller, while a gateway
that judged the upgrade request (as those in front of websockets do) had let through the
header's. The same token in both is one caller, and is taken."""

from __future__ import annotations

import json

import pytest
import websockets

from carecoord.events import Role
from support import GRAPHQL_WS, Api

pytestmark = pytest.mark.shared_platform


async def first_answer(api: Api, upgrade: str, payload: str) -> object:
    headers = {"Authorization": f"Bearer {upgrade}"}
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {payload}"}}
    async with websockets.connect(
        api.ws_url, subprotocols=GRAPHQL_WS, additional_headers=headers
    ) as ws:
        await ws.send(json.dumps(init))
        try:
            return json.loads(await ws.recv())
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
            return None if frame is None else (frame.code, frame.reason)


async def test_an_upgrade_token_and_another_in_connection_init_are_refused(api: Api) -> None:
    closed = await first_answer(api, api.token(Role.PEER_SUPPORTER), api.token(Role.PRESCRIBER))

    assert isinstance(closed, tuple)
    assert closed[0] == 4403
    assert closed[1].startswith("BAD_USER_INPUT header-repeated: send one authorization")


async def test_the_same_token_in_both_is_one_caller(api: Api) -> None:
    token = api.token(Role.NURSE)

    assert await first_answer(api, token, token) == {"type": "connection_ack"}
