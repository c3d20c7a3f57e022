"""In production the schema tells strangers nothing: introspection needs a valid token and
counts toward the depth limit, and no error suggests a field, argument or value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import isolated_settings

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from graphql import get_introspection_query
from support import Api

TYPE_NAMES = "{ __schema { types { name } } }"
SMALL_INTROSPECTION = get_introspection_query(type_depth=4)
DEEP_INTROSPECTION = (
    '{ __type(name: "Query") { fields { type {'
    + (" ofType {" * 10)
    + " name"
    + " }" * 10
    + " } } } }"
)


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, environment="production")


async def errors(api: Api, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    body = await api.gql(query, variables, **kw)
    assert body.get("errors"), body
    return body["errors"]


async def test_introspection_needs_a_valid_token(api: Api) -> None:
    [anonymous] = await errors(api, TYPE_NAMES)
    [forged] = await errors(api, TYPE_NAMES, token="not-a-token")
    typename = await api.gql("{ __typename }")

    assert (anonymous["extensions"]["code"], anonymous["extensions"]["rule"]) == (
        "UNAUTHENTICATED",
        "token-required",
    )
    assert forged["extensions"]["code"] == "UNAUTHENTICATED"
    assert typename == {"data": {"__typename": "Query"}}  # not introspection of the schema
    names = await api.ok(TYPE_NAMES, role=Role.NURSE)
    assert {"name": "Query"} in names["__schema"]["types"]


async def test_the_depth_limit_counts_introspection(api: Api) -> None:
    [too_deep] = await errors(api, DEEP_INTROSPECTION, role=Role.NURSE)
    [standard] = await errors(api, get_introspection_query(), role=Role.NURSE)

    assert "exceeds maximum operation depth of 10" in too_deep["message"]
    assert "exceeds maximum operation depth of 10" in standard["message"]
    small = await api.ok(SMALL_INTROSPECTION, role=Role.NURSE)
    assert small["__schema"]["queryType"]["name"] == "Query"


MISSPELT: list[tuple[str, dict[str, Any] | None]] = [
    ('{ clientTimelin(clientId: "x") { edges { cursor } } }', None),
    ("{ breakGlassUses(firts: 1) { accessId } }", None),
    ("query($r: Rol) { __typename }", None),
    (
        "mutation($i: AssignCareTeamMemberInput!) { assignCareTeamMember(input: $i) { id } }",
        {"i": {"clientId": "00000000-0000-0000-0000-000000000001", "memberId": "m",
               "role": "NURS"}},
    ),
]  # fmt: skip
"""A field, an argument, a type and an enum value (in a variable) misspelt."""


async def test_no_error_suggests_what_exists(api: Api) -> None:
    for query, variables in MISSPELT:
        for error in await errors(api, query, variables, role=Role.PROGRAM_ADMIN):
            assert "Did you mean" not in error["message"], error["message"]


async def test_development_suggests() -> None:
    from carecoord.graphql.schema import build_schema

    schema = build_schema(production=False)
    for query, variables in MISSPELT:
        result = await schema.execute(query, variable_values=variables)
        messages = [e.message for e in result.errors or []]
        assert any("Did you mean" in m for m in messages), messages


async def test_a_browser_get_without_a_query_is_told_so_not_404(api: Api) -> None:
    """No IDE in production: a GET without a query is answered as any request without one
    (400), not with a 404 for the endpoint that is there."""
    answer = await api.http.get("/graphql", headers={"Accept": "text/html,*/*;q=0.8"})

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["message"] == "No GraphQL query found in the request"
    assert error["extensions"]["code"] == "BAD_REQUEST"
