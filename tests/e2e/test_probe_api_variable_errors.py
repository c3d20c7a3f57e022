"""A value sent as a variable that the schema refuses names its field in
``extensions.field``, as the same value written into the document does: where the variable
is given, then where inside it (``craving``, ``answers.0.item``, ``clientId``). Before, the
message alone named it (``Variable '$i' has invalid value at .craving``), and a client that
shows each error beside its field, sending its values as variables as clients do, had no
field to show it by. Nothing is recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CLIENT = "71a77d39-08f7-5f4d-ac1d-a6a77f9d59ac"
CHECK_IN = "mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }"
INLINE = "mutation($c: UUID!, $m: Int) { recordCheckIn(input: {clientId: $c, mood: $m}) { id } }"
SCORE = "mutation($i: ScoreInstrumentInput!) { scoreInstrument(input: $i) { id } }"
TIMELINE = (
    "query($c: UUID!, $n: Int!) { clientTimeline(clientId: $c, first: $n) { edges { cursor } } }"
)
CASES: list[tuple[str, dict[str, Any], str]] = [
    (CHECK_IN, {"i": {"clientId": CLIENT, "craving": "lots"}}, "craving"),
    (CHECK_IN, {"i": {"clientId": "not-a-client", "craving": 5}}, "clientId"),
    (CHECK_IN, {}, "input"),
    (INLINE, {"c": CLIENT, "m": "low"}, "mood"),
    (INLINE, {"c": "abc"}, "clientId"),
    (
        SCORE,
        {"i": {"clientId": CLIENT, "instrument": "PHQ9", "answers": [{"item": 1, "value": 1}]}},
        "answers.0.item",
    ),
    (TIMELINE, {"c": CLIENT, "n": "ten"}, "first"),
]


@pytest.mark.parametrize(("query", "variables", "field"), CASES)
async def test_a_refused_variable_names_its_field(
    api: Api, query: str, variables: dict[str, Any], field: str
) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(query, variables, role=Role.NURSE)

    [error] = body["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "field": field}, error
    assert await asyncio.to_thread(api.platform.store.last_position) == head
