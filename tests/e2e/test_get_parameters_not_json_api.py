"""A GET whose ``variables`` (or ``extensions``) query parameter is not JSON is refused
naming the query string: it was told the request body could not be parsed, which a GET
does not have."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PING = "query($n: Int) { __typename }"


@pytest.mark.parametrize("parameter", ["variables", "extensions"])
async def test_a_query_string_parameter_not_json_is_named(api: Api, parameter: str) -> None:
    answer = await api.http.get(
        "/graphql",
        params={"query": PING, parameter: "{n: 1}"},
        headers={"Authorization": f"Bearer {api.token(Role.NURSE)}"},
    )

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "body" not in error["message"]
    assert "query string" in error["message"]
