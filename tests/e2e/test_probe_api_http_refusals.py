"""Requests refused before GraphQL runs them, as other engineers' clients send them.

Before: a mutation sent by GET answered 400 (the GraphQL over HTTP spec says it MUST be
405, with ``Allow: POST``); PUT, DELETE, PATCH and OPTIONS answered Starlette's plain-text
``Method Not Allowed`` and HEAD a 405 whose ``Allow`` header listed HEAD; an
``operationName`` the document does not hold answered 400 to ``application/json`` clients,
whom every other request error answers 200; ``Content-Type: Application/JSON`` was refused
(media types are case-insensitive) with a bare ``Unsupported content type``; and none of
these refusals carried an ``extensions.code``. Each records nothing.
"""

from __future__ import annotations

import asyncio
import gzip

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

STRICT = {"Accept": "application/graphql-response+json"}
ENROLL = 'mutation Enroll { enrollClient(input: {displayName: "Sam", program: "OTP"}) { id } }'


def headers(api: Api, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN)}", **more}


async def test_a_mutation_by_get_is_refused_405_naming_post(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)

    answers = [
        await api.http.get("/graphql", params={"query": ENROLL}, headers=headers(api, **accept))
        for accept in ({}, STRICT)
    ]
    named = await api.http.get(
        "/graphql",
        params={"query": f"{ENROLL} query Ping {{ __typename }}", "operationName": "Enroll"},
        headers=headers(api),
    )

    for answer in (*answers, named):
        assert answer.status_code == 405, answer.text
        assert answer.headers["allow"] == "POST"
        [error] = answer.json()["errors"]
        assert "GET" in error["message"]
        assert "POST" in error["message"]
        assert error["extensions"]["code"] == "BAD_REQUEST"
    assert answers[1].headers["content-type"].startswith("application/graphql-response+json")
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    # the query of the same document may still go by GET
    ping = await api.http.get(
        "/graphql",
        params={"query": f"{ENROLL} query Ping {{ __typename }}", "operationName": "Ping"},
        headers=headers(api),
    )
    assert ping.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
async def test_another_method_is_refused_405_with_a_json_error(api: Api, method: str) -> None:
    answer = await api.http.request(
        method, "/graphql", params={"query": "{ __typename }"}, headers=headers(api)
    )

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.headers["content-type"].startswith("application/json")
    if method != "HEAD":  # a HEAD answer has no body
        [error] = answer.json()["errors"]
        assert error["message"] == "the GraphQL endpoint takes only GET and POST requests"
        assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_an_operation_name_the_document_lacks_is_a_request_error(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)
    body = {"query": ENROLL, "operationName": "Ping"}

    legacy = await api.http.post("/graphql", json=body, headers=headers(api))
    strict = await api.http.post("/graphql", json=body, headers=headers(api, **STRICT))

    assert legacy.status_code == 200, legacy.text
    assert legacy.json()["data"] is None
    [error] = legacy.json()["errors"]
    assert error["message"] == 'Unknown operation named "Ping".'
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "field": "operationName"}
    assert strict.status_code == 400
    assert "data" not in strict.json()
    assert strict.json()["errors"] == [error]
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_an_empty_operation_name_is_none(api: Api) -> None:
    """The spec: an empty ``operationName`` is as if omitted. It was looked up, and
    ``?operationName=`` answered 'Unknown operation named ""'."""
    query = "query Ping { __typename }"
    by_get = await api.http.get(
        "/graphql", params={"query": query, "operationName": ""}, headers=headers(api, **STRICT)
    )
    by_post = await api.http.post(
        "/graphql", json={"query": query, "operationName": ""}, headers=headers(api, **STRICT)
    )

    for answer in (by_get, by_post):
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "query_string",
    [
        "query=%7B__typename%7D%FF",
        "query=query(%24a%3AString)%7B__typename%7D&variables=%7B%22a%22%3A%22%E9%22%7D",
    ],
    ids=["query", "variables"],
)
async def test_a_query_string_that_is_not_utf8_is_refused(api: Api, query_string: str) -> None:
    """Its bytes were read as U+FFFD and run, where a body that is not UTF-8 is refused."""
    answer = await api.http.get(f"/graphql?{query_string}", headers=headers(api))

    assert answer.status_code == 400, answer.text
    [error] = answer.json()["errors"]
    assert error["message"] == "the query string is not UTF-8"
    assert error["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("name", [5, True, {"a": 1}, ["Enroll"]])
async def test_an_operation_name_that_is_no_string_is_refused(api: Api, name: object) -> None:
    answer = await api.http.post(
        "/graphql", json={"query": ENROLL, "operationName": name}, headers=headers(api)
    )

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert "`operationName` must be a string or null" in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_the_content_type_is_read_without_regard_to_case(api: Api) -> None:
    sent = b'{"query": "{ __typename }"}'
    upper = await api.http.post(
        "/graphql", content=sent, headers={"Content-Type": "Application/JSON; Charset=UTF-8"}
    )
    assert upper.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        ("text/plain", "application/json"),
        ("application/graphql", "application/json"),
        ("application/x-www-form-urlencoded", "application/json"),
        ("application/json-patch+json", "application/json"),
        ("", "application/json"),
        ("application/json; charset=latin1", "UTF-8"),
    ],
)
async def test_a_body_of_another_media_type_or_charset_is_refused_415(
    api: Api, content_type: str, said: str
) -> None:
    """Any media type holding the text ``application/json`` was read as it, and a body
    declared in another charset was decoded as UTF-8."""
    refused = await api.http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Content-Type": content_type},
    )

    assert refused.status_code == 415, content_type
    [error] = refused.json()["errors"]
    assert said in error["message"], error
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_a_compressed_body_is_refused_415_naming_the_coding_taken(api: Api) -> None:
    """A gzip body was read as text and answered 400, "not UTF-8"."""
    sent = gzip.compress(b'{"query": "{ __typename }"}')
    refused = await api.http.post(
        "/graphql",
        content=sent,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip", **STRICT},
    )

    assert refused.status_code == 415
    assert refused.headers["accept-encoding"] == "identity"
    [error] = refused.json()["errors"]
    assert "Content-Encoding" in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    plain = await api.http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Content-Type": "application/json", "Content-Encoding": "identity"},
    )
    assert plain.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'[{"query": "{ __typename }"}]', 400),
        (b"{not json", 400),
        (b'{"query": "{ __typename }", "variables": "x"}', 400),
        (b"{}", 400),
        (b'{"query": "' + b"x" * (1 << 20) + b'"}', 413),
    ],
    ids=["batch", "not-json", "variables", "no-query", "too-large"],
)
async def test_a_refused_body_says_so_with_a_code(api: Api, body: bytes, status: int) -> None:
    answer = await api.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json", **STRICT}
    )

    assert answer.status_code == status
    [error] = answer.json()["errors"]
    assert error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_a_document_without_an_operation_says_so(api: Api) -> None:
    answer = await api.http.post(
        "/graphql", json={"query": "fragment F on Query { __typename }"}, headers=headers(api)
    )

    assert answer.status_code == 200
    [error] = answer.json()["errors"]
    assert error["message"].endswith("the document holds no query, mutation or subscription")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
