"""Tracing on (``CARECOORD_TRACING``; here the SDK's in-memory exporter): one mutation through
the API makes a span for its operation, for the command bus's commit, for the relay's page
and message, and for the projector's batch, tied together by trace and correlation id; the
message on the broker carries its span's ``traceparent``; and no attribute holds what the
client sent. Off (the default), a platform has no tracing at all."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import cast

import pytest
from conftest import isolated_settings, serving_api, started
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from carecoord.events import Role
from carecoord.projections import timeline
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.relay import NAME as RELAY
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers
from support import Api

NAME = "Zephyrine Quillfeather"
ENROLL = """mutation Enrol($input: EnrollClientInput!) {
  enrollClient(input: $input) { id position } }"""
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
async def traced(
    servers: Servers, data_dir: Path
) -> AsyncIterator[tuple[Api, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    async with (
        started(isolated_settings(data_dir), servers, spans=spans) as platform,
        serving_api(platform) as api,
    ):
        yield api, spans


async def enrol(api: Api, correlation_id: str) -> tuple[str, int]:
    token = api.token(Role.PROGRAM_ADMIN)
    response = await api.http.post(
        "/graphql",
        json={"query": ENROLL, "variables": {"input": {"displayName": NAME, "program": "OTP"}}},
        headers={
            "Authorization": f"Bearer {token}",
            "x-correlation-id": correlation_id,
            "traceparent": CALLER,
        },
    )
    body = response.json()
    assert not body.get("errors"), body
    found = body["data"]["enrollClient"]
    return str(found["id"]), int(found["position"])


async def until(platform: Platform, position: int, spans: InMemorySpanExporter) -> None:
    """Until the relay has published ``position`` and the projector's span has ended."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        async with platform.pool.connection() as conn:
            published = await positions.read(conn, RELAY)
        applied = [s for s in spans.get_finished_spans() if s.name == "projector apply"]
        if published >= position and applied:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay or the projector did not get there in time")


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def test_one_mutation_is_traced_from_the_request_to_the_broker_and_the_views(
    traced: tuple[Api, InMemorySpanExporter],
) -> None:
    api, exporter = traced
    correlation_id = str(uuid.uuid4())
    client_id, position = await enrol(api, correlation_id)
    assert await api.platform.progress.reach(timeline.NAME, position, 10)
    await until(api.platform, position, exporter)
    spans = exporter.get_finished_spans()

    # The operation, named for its type and root field, continuing the caller's trace.
    (operation,) = named(spans, "mutation enrollClient")
    assert operation.kind is SpanKind.SERVER
    assert operation.context is not None
    assert operation.parent is not None
    assert format(operation.context.trace_id, "032x") == CALLER_TRACE
    assert dict(operation.attributes or {}) == {
        "carecoord.correlation_id": correlation_id,
        "graphql.operation.type": "mutation",
        "carecoord.graphql.field": "enrollClient",
    }
    # The commit of its command, inside the same trace.
    commits = [
        s
        for s in named(spans, "commands commit")
        if s.parent is not None and s.parent.span_id == operation.context.span_id
    ]
    assert len(commits) == 1
    assert commits[0].attributes == {"carecoord.commands": 1}
    # The relay's messages, found by the correlation id (the store keeps no trace context).
    sends = [
        s
        for s in named(spans, "relay send")
        if (s.attributes or {}).get("carecoord.correlation_id") == correlation_id
    ]
    assert sends
    assert all(s.kind is SpanKind.PRODUCER for s in sends)
    assert {(s.attributes or {})["carecoord.event_type"] for s in sends} >= {"care.ClientEnrolled"}
    pages = {s.parent.span_id for s in sends if s.parent is not None}
    assert pages <= {s.context.span_id for s in named(spans, "relay publish") if s.context}
    # The projector's batch that applied them.
    batches = [
        cast("Sequence[str]", (s.attributes or {}).get("carecoord.correlation_ids", ()))
        for s in named(spans, "projector apply")
    ]
    assert any(correlation_id in ids for ids in batches)
    # Names, ids, counts and positions only: nothing the client sent, no client id.
    for span in spans:
        for value in (span.attributes or {}).values():
            text = str(value)
            assert NAME not in text
            assert "Zephyrine" not in text
            assert client_id not in text
        assert client_id not in span.name

    # Each message on the broker carries the traceparent of its send span.
    settings = api.platform.settings
    js = api.platform.broker.connection.jetstream()
    info = await js.stream_info(settings.stream_name)
    headers = [
        (await js.get_msg(settings.stream_name, seq=seq)).headers or {}
        for seq in range(1, info.state.last_seq + 1)
    ]
    by_position = {int(h["Carecoord-Position"]): h.get("traceparent") for h in headers}
    for send in sends:
        assert send.context is not None
        at = int((send.attributes or {})["carecoord.position"])  # type: ignore[arg-type]
        trace_id = format(send.context.trace_id, "032x")
        span_id = format(send.context.span_id, "016x")
        flags = format(send.context.trace_flags, "02x")
        assert by_position[at] == f"00-{trace_id}-{span_id}-{flags}"


async def test_tracing_is_off_by_default(platform: Platform) -> None:
    assert platform.settings.tracing == "off"
    assert platform.tracing is None
    assert platform.bus._tracing is None
