"""A websocket needs a token: one whose ``connection_init`` names no user (no payload, a null
or empty one, an empty ``Authorization``) is closed there with 4403 and a reason naming the missing
token, as a bad token's is; and a socket acknowledged is closed with 4403 once its token has
expired. Such sockets were acknowledged and stayed open for ever, counted for no user (the cap
of ``test_websockets_per_user.py`` never reached them), so anyone who could reach the API could
hold any number; nothing is served on a socket without a token."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from carecoord.events import Role
from carecoord.services.infrastructure.identity import LEEWAY, issue_token
from support import GRAPHQL_WS, Api

TOKEN_REQUIRED = (
    "UNAUTHENTICATED token-required: send 'Authorization: Bearer <token>' in the"
    " connection_init payload"
)
TOKEN_EXPIRED = "UNAUTHENTICATED token-expired: the token has expired; sign in again"
VALID_FOR = timedelta(seconds=2)


async def closed_by_server(ws: ClientConnection, within: float) -> Close:
    """The server's close frame, once it comes; the socket must send nothing before it."""
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), within)
    assert ws.protocol.close_rcvd is not None, "closed without a close frame"
    return ws.protocol.close_rcvd


async def acknowledged(ws: ClientConnection, payload: dict[str, Any] | None) -> None:
    init: dict[str, Any] = {"type": "connection_init"}
    if payload is not None:
        init["payload"] = payload
    await ws.send(json.dumps(init))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}


@pytest.mark.shared_platform
@pytest.mark.parametrize(
    "init",
    [
        {"type": "connection_init"},
        {"type": "connection_init", "payload": None},
        {"type": "connection_init", "payload": {}},
        {"type": "connection_init", "payload": {"Authorization": ""}},
    ],
    ids=["no-payload", "null-payload", "empty-payload", "empty-authorization"],
)
async def test_a_socket_without_a_token_is_closed_at_connection_init(
    api: Api, init: dict[str, Any]
) -> None:
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        await ws.send(json.dumps(init))
        closed = await closed_by_server(ws, 5)
    assert (closed.code, closed.reason) == (4403, TOKEN_REQUIRED)


@pytest.mark.shared_platform
async def test_a_token_on_the_upgrade_request_is_one(api: Api) -> None:
    """A client that can set headers may send the token on the upgrade request instead."""
    headers = {"Authorization": f"Bearer {api.token(Role.NURSE)}"}
    async with websockets.connect(
        api.ws_url, subprotocols=GRAPHQL_WS, additional_headers=headers
    ) as ws:
        await acknowledged(ws, None)
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}


@pytest.mark.shared_platform
async def test_a_socket_is_closed_once_its_token_has_expired(api: Api) -> None:
    # Expired already, but still within the verifier's leeway for VALID_FOR at most.
    token = issue_token(api.platform.settings, "nurse-1", Role.NURSE, lifetime=VALID_FOR - LEEWAY)
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        await acknowledged(ws, {"Authorization": f"Bearer {token}"})
        opened = time.monotonic()
        closed = await closed_by_server(ws, VALID_FOR.total_seconds() + 5)
    assert (closed.code, closed.reason) == (4403, TOKEN_EXPIRED)
    assert time.monotonic() - opened <= VALID_FOR.total_seconds() + 1.5
