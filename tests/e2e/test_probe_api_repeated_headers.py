"""A request naming its caller twice (two Authorization headers, two X-Carecoord-Role
headers, or both spellings of a key in a websocket's connection_init payload) is refused
naming it (``header-repeated``) and records nothing. Before, the first was taken: a peer
supporter's token sent beside a prescriber's read as the peer supporter, and a proxy or
gateway that judged the request on the other let through a request it had not judged."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import GRAPHQL_WS, Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
VARIABLES = {"input": {"displayName": "Twice T.", "program": "OTP"}}
REFUSED = {"code": "BAD_USER_INPUT", "rule": "header-repeated"}


async def test_two_authorization_headers_are_refused_recording_nothing(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)
    admin, nurse = api.token(Role.PROGRAM_ADMIN), api.token(Role.NURSE)

    answer = await api.http.post(
        "/graphql",
        json={"query": ENROLL, "variables": VARIABLES},
        headers=[("Authorization", f"Bearer {admin}"), ("Authorization", f"Bearer {nurse}")],
    )

    [error] = answer.json()["errors"]
    assert error["extensions"] == {**REFUSED, "field": "authorization"}
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_two_role_headers_are_refused(api: Api) -> None:
    token = issue_token(api.platform.settings, "multi-1", Role.PROGRAM_ADMIN, Role.NURSE)

    answer = await api.http.post(
        "/graphql",
        json={"query": ENROLL, "variables": VARIABLES},
        headers=[
            ("Authorization", f"Bearer {token}"),
            ("X-Carecoord-Role", "program_admin"),
            ("X-Carecoord-Role", "nurse"),
        ],
    )

    [error] = answer.json()["errors"]
    assert error["extensions"] == {**REFUSED, "field": "x-carecoord-role"}


async def test_a_connection_init_naming_two_tokens_is_closed(api: Api) -> None:
    payload = {
        "Authorization": f"Bearer {api.token(Role.PRESCRIBER)}",
        "authorization": f"Bearer {api.token(Role.PEER_SUPPORTER)}",
    }
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    assert closed.value.rcvd.reason.startswith("BAD_USER_INPUT header-repeated:")
