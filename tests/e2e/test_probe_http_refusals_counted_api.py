"""A request refused before GraphQL reads it (a body that is no JSON, a batch, a method the
endpoint does not take, a body over the limit) is counted in carecoord_refusals_total as
``BAD_REQUEST``/``http-<status>`` and logged as a refusal, as one GraphQL refuses is: none
was, so a client sending malformed requests, or a scan of the endpoint, showed in no rate
of refusals."""

from __future__ import annotations

import logging

import pytest

from carecoord.graphql.app import MAX_BODY_BYTES
from support import Api

pytestmark = pytest.mark.shared_platform


async def test_requests_refused_before_graphql_are_counted_and_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    before = {
        rule: await api.refusals("BAD_REQUEST", rule)
        for rule in ("http-400", "http-405", "http-413")
    }
    json_body = {"content-type": "application/json"}

    with caplog.at_level(logging.INFO, logger="carecoord.api"):
        assert (
            await api.http.post("/graphql", content=b"{not json", headers=json_body)
        ).status_code == 400
        assert (
            await api.http.post("/graphql", json=[{"query": "{ __typename }"}])
        ).status_code == 400
        assert (await api.http.put("/graphql", json={"query": "{ __typename }"})).status_code == 405
        big = b'{"query": "' + b" " * MAX_BODY_BYTES + b'"}'
        assert (await api.http.post("/graphql", content=big, headers=json_body)).status_code == 413

    assert await api.refusals("BAD_REQUEST", "http-400") == before["http-400"] + 2
    assert await api.refusals("BAD_REQUEST", "http-405") == before["http-405"] + 1
    assert await api.refusals("BAD_REQUEST", "http-413") == before["http-413"] + 1
    logged = [
        (r.code, r.rule)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.getMessage() == "request refused"
    ]
    assert logged == [
        ("BAD_REQUEST", "http-400"),
        ("BAD_REQUEST", "http-400"),
        ("BAD_REQUEST", "http-405"),
        ("BAD_REQUEST", "http-413"),
    ]
