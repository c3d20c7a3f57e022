"""A value written into the document that the schema refuses is named and located.

Before, graphql-core passed on the error a scalar or an enum raised as it was: no location,
no argument. ``clientTimeline(clientId: "abc")`` was answered ``Value cannot represent a
UUID: "abc"`` alone, and a mistyped date among a mutation's inline values had to be found
by eye. A document past graphql-core's validation budget was answered a bare ``Validation
aborted.``. Each is refused before anything runs, over HTTP and the websocket alike.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CLIENT = "71a77d39-08f7-5f4d-ac1d-a6a77f9d59ac"
CASES = [
    (
        '{ clientTimeline(clientId: "abc") { edges { cursor } } }',
        "Argument 'clientId' has an invalid value: Value cannot represent a UUID",
        "clientId",
        (1, 28),
    ),
    (
        f'{{ clientTimeline(clientId: "{CLIENT}", kinds: [[MEDICATION]])\n'
        "  { edges { cursor } } }",
        "Argument 'kinds' has an invalid value at '0': Enum 'Kind' cannot represent",
        "kinds.0",
        (1, 76),
    ),
    (
        f'mutation {{ recordCheckIn(input: {{clientId: "{CLIENT}", mood: 5,\n'
        '  occurredAt: "yesterday"}) { id } }',
        "Argument 'input' has an invalid value at 'occurredAt': Value cannot represent a DateTime",
        "occurredAt",
        (2, 15),
    ),
    (
        f'mutation {{ dispenseTakeHome(input: {{clientId: "{CLIENT}", orderId: "{CLIENT}",\n'
        '  firstDay: "2026-01-01", days: 2, dosageForm: "oral solution",\n'
        '  bottles: [{bottle: "B1", lot: 7}]}) { id } }',
        "Argument 'input' has an invalid value at 'bottles.0.lot': String cannot represent",
        "bottles.0.lot",
        (3, 33),
    ),
]


@pytest.mark.parametrize(("query", "message", "field", "at"), CASES, ids=range(len(CASES)))
async def test_a_refused_literal_names_its_argument_and_where(
    api: Api, query: str, message: str, field: str, at: tuple[int, int]
) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(query, role=Role.PRESCRIBER)

    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"].startswith(message), error
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "field": field}
    assert error["locations"] == [{"line": at[0], "column": at[1]}]
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_over_the_websocket_too(api: Api) -> None:
    query = (
        CASES[0][0]
        .replace("{ clientTimeline", "subscription { timeline")
        .replace("{ edges { cursor } }", "{ position }")
    )
    first = await first_answer(api, query)

    assert first["type"] == "error", first
    [error] = first["payload"]
    assert error["message"].startswith(CASES[0][1])
    assert error["extensions"]["field"] == "clientId"
    assert error["locations"]


async def test_a_document_too_costly_to_validate_is_told_why(api: Api) -> None:
    """A thousand fields of one name: graphql-core compares them pairwise up to its
    budget, then gives up."""
    body = await api.gql("{" + " __typename" * 1000 + "}", role=Role.NURSE)

    [error] = body["errors"]
    assert error["message"].startswith("Validation aborted: the document has more to check")
    assert "send fewer fields" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def first_answer(api: Api, query: str) -> dict[str, Any]:
    token = api.token(Role.NURSE)
    async with api.subscription(token, query, {}) as ws:
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return answer
