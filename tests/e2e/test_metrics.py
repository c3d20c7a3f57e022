"""Prometheus metrics: ``/metrics`` scraped before and after a mutation shows the counters
move (the command, the refusal, the events published and applied, the request's latency)
and the lag gauges read from the store; the relay and the projector serve the same on a
listener of their own when ``metrics_port`` is set."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from carecoord.events import Role
from carecoord.services.platform import Platform
from carecoord.services.runtime.cli import monitoring_listener
from carecoord.services.runtime.embedded import free_port
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
PRESCRIBE = """mutation($input: PrescribeInput!) {
  prescribeMedication(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast) { edges { node { type } } } }"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(http: httpx.AsyncClient, url: str = "/metrics") -> Samples:
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


@pytest.mark.shared_platform
async def test_the_counters_move_after_a_mutation(api: Api) -> None:
    before = await scrape(api.http)
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Kim", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client, position = enrolled["enrollClient"]["id"], enrolled["enrollClient"]["position"]
    refused = await api.gql(
        PRESCRIBE,
        {
            "input": {
                "clientId": client,
                "medication": "methadone",
                "dose": "30",
                "unit": "mg",
                "route": "oral",
                "start": date.today().isoformat(),
            }
        },
        role=Role.PRESCRIBER,  # not on the client's care team
    )
    rule = refused["errors"][0]["extensions"]["rule"]
    await api.join_care_team(client, Role.NURSE)
    await api.ok(TIMELINE, {"id": client, "atLeast": position}, role=Role.NURSE)

    deadline = time.monotonic() + 10
    while True:  # the relay publishes on its own time
        after = await scrape(api.http)
        published = value(
            after, "carecoord_events_published_total", event_type="care.ClientEnrolled"
        ) - value(before, "carecoord_events_published_total", event_type="care.ClientEnrolled")
        if published >= 1 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert published >= 1
    assert moved("carecoord_commands_total", command="enroll_client", outcome="recorded") == 1
    assert moved("carecoord_refusals_total", code="FORBIDDEN", rule=rule) == 1
    assert moved("carecoord_events_applied_total", read_model="timeline") >= 1
    assert (
        moved(
            "carecoord_graphql_request_duration_seconds_count",
            operation_type="mutation",
            operation="enrollClient",
        )
        == 1
    )
    assert (
        moved(
            "carecoord_graphql_request_duration_seconds_sum",
            operation_type="mutation",
            operation="enrollClient",
        )
        > 0
    )
    assert value(after, "carecoord_store_position") >= position
    assert value(after, "carecoord_command_failed_saves") == 0, "one process: no save conflicts"
    for follower in ("relay", "timeline"):
        assert ("carecoord_follower_lag_events", (("follower", follower),)) in after
        assert value(after, "carecoord_parked_events", follower=follower) == 0
    assert value(after, "carecoord_loop_stuck", loop="relay") == 0
    assert value(after, "carecoord_loop_last_progress_timestamp_seconds", loop="relay") > 0


@pytest.mark.shared_platform
async def test_operation_labels_are_bounded_by_the_schema(api: Api) -> None:
    """A client's operation names and unknown fields never become label values."""
    for query in ("query Mine123 { __typename }", "{ noSuchField }", "{", "query X { x"):
        await api.http.post("/graphql", json={"query": query, "operationName": "Mine123"})
    families = {
        sample.labels.get("operation")
        for family in text_string_to_metric_families((await api.http.get("/metrics")).text)
        for sample in family.samples
        if sample.name.startswith("carecoord_graphql_request_duration_seconds")
    }
    assert "Mine123" not in families
    assert "noSuchField" not in families
    assert {"introspection", "invalid"} <= families


async def test_the_relay_and_projector_listener_serves_metrics_and_health(
    platform: Platform,
) -> None:
    port = free_port()
    settings = platform.settings.model_copy(update={"metrics_port": port})
    platform.settings = settings
    async with monitoring_listener(platform) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert url is not None
        async with httpx.AsyncClient(base_url=url) as http:
            samples = await scrape(http)
            assert ("carecoord_store_position", ()) in samples
            health = await http.get("/health")
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            assert (await http.get("/graphql")).status_code == 404


async def test_no_listener_without_a_metrics_port(platform: Platform) -> None:
    async with monitoring_listener(platform) as url:
        assert url is None
