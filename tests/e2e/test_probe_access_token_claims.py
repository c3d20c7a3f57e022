"""A signed token whose claims have the wrong shape (roles that are null, a number or an
object; an expiry past any date) is refused as a bad token, over HTTP and at a websocket's
connection_init: it was an internal error, and a socket dropped with no close frame. So is
one naming its roles in both ``roles`` and ``role``, differently: it acted in ``roles``'
alone, where a gateway reading ``role`` judged it as another role."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import websockets

from carecoord.events import Role
from support import GRAPHQL_WS, Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
TIMELINE = """query($id: UUID!) { clientTimeline(clientId: $id) { nodes { type } } }"""


def signed(api: Api, **changed: Any) -> str:
    """A nurse's token signed with the API's own key, ``changed`` replacing its claims."""
    settings = api.platform.settings
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "nurse-1",
        "roles": ["nurse"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    assert settings.jwt_secret is not None
    return jwt.encode(claims | changed, settings.jwt_secret, algorithm="HS256")


SHAPES = [
    ({"roles": None}, "token-role"),
    ({"roles": 5}, "token-role"),
    ({"roles": {"nurse": True}}, "token-role"),
    ({"exp": 10**400}, "token-invalid"),
    ({"role": "program_admin"}, "token-role"),
]
IDS = ["roles-null", "roles-number", "roles-object", "exp-past-any-date", "role-beside-roles"]


@pytest.mark.parametrize(("claims", "rule"), SHAPES, ids=IDS)
async def test_a_token_of_malformed_claims_is_refused_over_http(
    api: Api, claims: dict[str, Any], rule: str
) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Kai", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)

    body = await api.gql(TIMELINE, {"id": client_id}, token=signed(api, **claims))

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "field": "authorization",
        "rule": rule,
    }


@pytest.mark.parametrize(("claims", "rule"), SHAPES, ids=IDS)
async def test_a_token_of_malformed_claims_is_refused_at_connection_init(
    api: Api, claims: dict[str, Any], rule: str
) -> None:
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        token = signed(api, **claims)
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None, "closed with no close frame"
    assert closed.value.rcvd.code == 4403
    assert closed.value.rcvd.reason.startswith(f"UNAUTHENTICATED {rule}:")
