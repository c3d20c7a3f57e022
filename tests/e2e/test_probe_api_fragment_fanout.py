"""The document limits (depth, aliases, production's introspection depth) measure each
fragment once. Walked again at every spread, a document of fragments each spreading the
next twice cost 2^n walks: well under the token limit, one such request held the event
loop (every other user's requests with it) for minutes. A spread of an unknown fragment is
refused naming it, where the depth limiter failed with a bare ``KeyError``.
"""

from __future__ import annotations

import json
import time

import pytest
import websockets

from carecoord.events import Role
from carecoord.graphql.production import introspection_depth_rule
from carecoord.graphql.schema import build_schema
from graphql import parse, validate
from support import GRAPHQL_WS, Api

FRAGMENTS = 22
"""Enough to take the per-spread walks over a minute; the kept measures, milliseconds."""


def fanned_out(selection: str, fragments: int = FRAGMENTS) -> str:
    """``selection`` reached through ``fragments`` fragments, each spreading the next twice."""
    chain = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(fragments)
    )
    return f"query {{ ...F0 }} {chain} fragment F{fragments} on Query {{ {selection} }}"


@pytest.mark.shared_platform
async def test_a_fanned_out_document_is_answered_at_once(api: Api) -> None:
    started = time.perf_counter()
    body = await api.gql(fanned_out("__typename"), role=Role.NURSE)
    assert body == {"data": {"__typename": "Query"}}
    aliased = await api.gql(fanned_out("a: __typename"), role=Role.NURSE)
    assert aliased["errors"][0]["message"] == f"{2**FRAGMENTS} aliases found. Allowed: 30"
    assert time.perf_counter() - started < 2


@pytest.mark.shared_platform
async def test_an_unknown_fragment_is_refused_naming_it(api: Api) -> None:
    body = await api.gql("query { ...Missing }", role=Role.NURSE)
    assert body["errors"][0]["message"] == "Unknown fragment 'Missing'."
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    token = api.token(Role.NURSE)
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        subscribe = {"query": "query { ...Missing }"}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        answer = json.loads(await ws.recv())
    assert answer["type"] == "error", answer
    assert answer["payload"][0]["message"] == "Unknown fragment 'Missing'."


def test_the_production_introspection_depth_measures_each_fragment_once() -> None:
    schema = build_schema(production=True)._schema
    document = parse(fanned_out("__schema { types { name } }", fragments=30))
    started = time.perf_counter()
    assert validate(schema, document, [introspection_depth_rule(10)]) == []
    assert time.perf_counter() - started < 1
