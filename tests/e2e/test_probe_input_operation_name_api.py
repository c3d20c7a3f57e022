"""A document of several operations sent without ``operationName`` runs none of them. Before,
the first ran: a client's saved document of ``mutation Enroll`` and ``query Ping`` sent
without a name enrolled a client. It is answered with the spec's error and records nothing,
over HTTP and over the websocket; naming one runs that one."""

from __future__ import annotations

import asyncio
import json

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

DOCUMENT = """mutation Enroll { enrollClient(input: {displayName: "Sam", program: "OTP"}) { id } }
query Ping { __typename }"""
UNNAMED = "Must provide operation name if query contains multiple operations."


async def test_several_operations_and_no_name_run_none(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(DOCUMENT, role=Role.PROGRAM_ADMIN)
    strict = await api.http.post(
        "/graphql",
        json={"query": DOCUMENT},
        headers={
            "Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN)}",
            "Accept": "application/graphql-response+json",
        },
    )

    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["message"] == UNNAMED
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert strict.status_code == 400, strict.text
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_the_operation_named_is_the_one_run(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)
    token = {"Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN)}"}

    ping = await api.http.post(
        "/graphql", json={"query": DOCUMENT, "operationName": "Ping"}, headers=token
    )
    assert ping.json() == {"data": {"__typename": "Query"}}
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    enroll = await api.http.post(
        "/graphql", json={"query": DOCUMENT, "operationName": "Enroll"}, headers=token
    )
    assert enroll.json()["data"]["enrollClient"]["id"]


async def test_a_subscription_among_several_operations_needs_its_name(api: Api) -> None:
    document = """subscription Feed($id: UUID!) { timeline(clientId: $id) { position } }
    query Ping { __typename }"""
    token = api.token(Role.NURSE)
    variables = {"id": "00000000-0000-4000-8000-000000000001"}

    async with api.subscription(token, document, variables) as ws:
        answer = json.loads(await ws.recv())

    assert answer["type"] == "error", answer
    assert [e["message"] for e in answer["payload"]] == [UNNAMED]
