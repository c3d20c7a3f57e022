"""A subscription sent over HTTP is refused as a mutation sent by GET is: 400 with the reason,
before it runs. Before, it ran as a query, its stream read as null, and the client was
answered INTERNAL_SERVER_ERROR; the websocket still serves it."""

from __future__ import annotations

import json

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

FEED = "subscription($id: UUID!) { timeline(clientId: $id) { position } }"
SOME_ID = "00000000-0000-4000-8000-000000000001"


async def test_a_subscription_over_http_is_refused_with_the_reason(api: Api) -> None:
    token = {"Authorization": f"Bearer {api.token(Role.NURSE)}"}

    posted = await api.http.post(
        "/graphql", json={"query": FEED, "variables": {"id": SOME_ID}}, headers=token
    )
    got = await api.http.get(
        "/graphql",
        params={"query": FEED, "variables": json.dumps({"id": SOME_ID})},
        headers=token,
    )

    for response, method in ((posted, "POST"), (got, "GET")):
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert error["message"] == f"subscriptions are not allowed when using {method}"


async def test_the_websocket_still_runs_a_subscription_to_its_access_decision(api: Api) -> None:
    async with api.subscription(api.token(Role.NURSE), FEED, {"id": SOME_ID}) as ws:
        answer = json.loads(await ws.recv())

    [error] = answer["payload"]["errors"]
    assert error["extensions"]["rule"] == "care-team-or-consent", answer
