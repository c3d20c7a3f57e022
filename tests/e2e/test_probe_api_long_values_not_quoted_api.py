"""A value the schema refuses is quoted back only when short. A position sent as ``1e300``
was refused quoting its 301 digits, twice (the Seq scalar's words and graphql-core's
``found:``), and a client id of 3,000 characters came back whole: the answer is shown,
logged and reported by clients and the proxies between. The error still names the field and
says why, and nothing is recorded."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CLIENT = "71a77d39-08f7-5f4d-ac1d-a6a77f9d59ac"
LONG = "x" * 3000
TIMELINE = "{ clientTimeline(clientId: %s, atLeast: %s) { edges { cursor } } }"
BY_VARIABLES = (
    "query($c: UUID!, $a: Seq) { clientTimeline(clientId: $c, atLeast: $a) { edges { cursor } } }"
)
DIGITS = "9" * 300
CASES: list[tuple[str, dict[str, Any] | None, str, str]] = [
    (TIMELINE % (f'"{CLIENT}"', "1e300"), None, "atLeast", "Seq cannot represent 1e+300: at most"),
    (TIMELINE % (f'"{CLIENT}"', DIGITS), None, "atLeast", "Seq cannot represent (a value of 300"),
    (BY_VARIABLES, {"c": CLIENT, "a": 10**300}, "atLeast", "Seq cannot represent (a value of 301"),
    (BY_VARIABLES, {"c": CLIENT, "a": LONG}, "atLeast", "write an integer"),
    (TIMELINE % (f'"{LONG}"', "0"), None, "clientId", "Value cannot represent a UUID"),
    (BY_VARIABLES, {"c": LONG, "a": 0}, "clientId", "Value cannot represent a UUID"),
]


@pytest.mark.parametrize(("query", "variables", "field", "said"), CASES, ids=range(len(CASES)))
async def test_a_long_refused_value_is_said_by_its_length(
    api: Api, query: str, variables: dict[str, Any] | None, field: str, said: str
) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(query, variables, role=Role.NURSE)

    [error] = body["errors"]
    assert said in error["message"], error
    assert len(error["message"]) < 400, error
    answer = json.dumps(body)
    assert all(run * 65 not in answer for run in "x09"), answer
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "field": field}
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_a_short_refused_value_is_still_quoted(api: Api) -> None:
    body = await api.gql(TIMELINE % (f'"{CLIENT}"', "1.5"), role=Role.NURSE)

    [error] = body["errors"]
    assert "Seq cannot represent 1.5: write an integer" in error["message"]
    assert error["message"].endswith("found: 1.5.")
