"""A suspension revokes every token its user held, as an identity provider's does: once
reinstated, the user signs in again. A token issued before the reinstatement (before the
suspension, or during it), or not saying when it was issued, is refused ``token-revoked``;
it was taken again, each until it expired, a stolen one among them."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from uuid import uuid4

import jwt
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from carecoord.events import Role
from carecoord.services.infrastructure.identity import ALGORITHM, signing_key
from support import GRAPHQL_WS, Api, mutation

pytestmark = pytest.mark.shared_platform

SUSPEND = mutation("UserAccessInput", "suspendUser")
REINSTATE = mutation("UserAccessInput", "reinstateUser")
WHO = "{ __typename }"


def token(api: Api, user: str, **issued: Any) -> str:
    """A nurse's token for ``user``, issued when ``issued`` says (``iat``; none: unsaid)."""
    settings = api.platform.settings
    claims = {
        "sub": user,
        "roles": ["nurse"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "exp": int(time.time()) + 3600,
        **issued,
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def rule(body: dict[str, Any]) -> tuple[str, str]:
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions["rule"]


async def test_a_reinstated_user_signs_in_again(api: Api) -> None:
    nurse = f"nurse-{uuid4().hex[:8]}"
    before = token(api, nurse, iat=int(time.time()) - 60)
    unsaid = token(api, nurse)
    for held in (before, unsaid):  # never suspended: each is taken
        await api.ok(WHO, token=held)
    left = {"input": {"userId": nurse, "reason": "token stolen"}}

    await api.ok(SUSPEND, left, role=Role.PROGRAM_ADMIN)
    await api.ok(REINSTATE, left, role=Role.PROGRAM_ADMIN)

    for held in (before, unsaid):
        assert rule(await api.gql(WHO, token=held)) == ("UNAUTHENTICATED", "token-revoked")
    await api.ok(WHO, token=token(api, nurse, iat=int(time.time())))
    await api.ok(WHO, token=api.token(Role.NURSE, nurse))


async def test_a_socket_opened_with_a_revoked_token_is_closed_saying_so(api: Api) -> None:
    nurse = f"nurse-{uuid4().hex[:8]}"
    before = token(api, nurse, iat=int(time.time()) - 60)
    left = {"input": {"userId": nurse, "reason": "token stolen"}}
    await api.ok(SUSPEND, left, role=Role.PROGRAM_ADMIN)
    await api.ok(REINSTATE, left, role=Role.PROGRAM_ADMIN)

    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {before}"}}
        await ws.send(json.dumps(init))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        closed = ws.protocol.close_rcvd
    assert closed is not None
    assert closed.code == 4403
    assert closed.reason.startswith("UNAUTHENTICATED token-revoked")
