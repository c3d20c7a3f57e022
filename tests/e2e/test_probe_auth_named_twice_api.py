"""A request whose JSON names one member twice (two ``query`` entries, an input naming
``displayName`` twice), or whose query string names one parameter twice, is refused (400,
``BAD_REQUEST``) and runs nothing. The last was taken: a body that a gateway, a WAF or an
audit proxy read as ``{__typename}`` ran an enrolment."""

from __future__ import annotations

import asyncio
import json

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id } }"


async def posted(api: Api, body: str) -> tuple[int, object]:
    head = await asyncio.to_thread(api.platform.store.last_position)
    answer = await api.http.post(
        "/graphql",
        content=body.encode(),
        headers={
            "Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN)}",
            "Content-Type": "application/json",
        },
    )
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    [error] = answer.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    return answer.status_code, error["message"]


async def test_a_body_naming_its_query_twice_runs_neither(api: Api) -> None:
    body = (
        '{"query": "{ __typename }", "query": ' + json.dumps(ENROLL) + ","
        ' "variables": {"i": {"displayName": "Twice T.", "program": "OTP"}}}'
    )

    assert await posted(api, body) == (400, "the request body names 'query' twice in one object")


async def test_an_input_naming_a_field_twice_is_refused(api: Api) -> None:
    body = (
        '{"query": ' + json.dumps(ENROLL) + ', "variables": {"i": {"displayName": "Twice T.",'
        ' "program": "OTP", "displayName": "Other O."}}}'
    )

    assert await posted(api, body) == (
        400,
        "the request body names 'displayName' twice in one object",
    )


async def test_a_query_string_naming_its_query_twice_runs_neither(api: Api) -> None:
    answer = await api.http.get(
        "/graphql",
        params=[("query", "{ __typename }"), ("query", "{ platformStatus { storePosition } }")],
    )

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "the query string names 'query' twice"


async def test_variables_in_a_query_string_naming_one_twice_are_refused(api: Api) -> None:
    query = "query($a: Int) { __typename }"
    answer = await api.http.get(
        "/graphql", params={"query": query, "variables": '{"a": 1, "a": 2}'}
    )

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == (
        "the query string's variables or extensions names 'a' twice in one object"
    )
