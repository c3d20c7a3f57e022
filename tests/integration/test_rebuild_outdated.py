"""A read model whose live generation another version of its derivation built is rebuilt as
the projector starts; the others, and a database set up before versions were recorded, are
left as they are."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import delete_stream, fresh_database, isolated_settings, serving_api

from carecoord.events import Actor, Role
from carecoord.events.care import GoalAchievement
from carecoord.graphql.status import health
from carecoord.projections import careteam, medications, timeline, versions
from carecoord.projections.models import READ_MODELS
from carecoord.projections.projector import ReadModel, version
from carecoord.projections.rebuild import rebuild
from carecoord.services.care.commands import enroll_client, record_goal_progress, set_treatment_goal
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers, running

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
PRESCRIBER = Stamp(Actor(id="prescriber-1", role=Role.PRESCRIBER))
CLIENT_GOALS = "query($c: UUID!) { clientGoals(clientId: $c) { description } }"
STEPS = """query($c: UUID!) { clientTimeline(clientId: $c, kinds: [THERAPY]) {
  edges { node { type withheld } } } }"""
CLIENT_TIMELINE = "query($c: UUID!) { clientTimeline(clientId: $c) { edges { node { type } } } }"
BEFORE_ACTOR_ROLE = """DROP VIEW treatment_goals;
ALTER TABLE treatment_goals_g1 DROP COLUMN actor_role;
CREATE VIEW treatment_goals AS SELECT * FROM treatment_goals_g1;
UPDATE projection_generations SET version = 1 WHERE name = 'treatment_goals'"""
"""The goals view as the release before its writer's role was kept left it."""
ALTERED = "altered by hand"
NEXT = version(timeline) + 1
"""The timeline's version in a release that changes how its rows are derived."""


@pytest.fixture
async def deployment(servers: Servers, data_dir: Path) -> AsyncIterator[tuple[Settings, Servers]]:
    """A database and stream that several starts of the platform share, as an upgrade's do."""
    settings = isolated_settings(data_dir)
    with fresh_database(servers.database_url) as url:
        try:
            yield settings, Servers(url, servers.nats_url)
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")


def started(
    deployment: tuple[Settings, Servers], *, project: bool = True
) -> contextlib.AbstractAsyncContextManager[Platform]:
    return running(*deployment, project=project)


async def an_earlier_release(deployment: tuple[Settings, Servers], clients: int) -> None:
    """The platform run once: ``clients`` enrolled, every read model caught up."""
    async with started(deployment) as platform:
        for i in range(clients):
            last = await platform.bus.execute(
                enroll_client(ADMIN, display_name=f"c{i}", program="OTP")
            )
        for model in READ_MODELS:
            assert await platform.progress.reach(model.NAME, last.position, 10)


def as_set_up(models: Iterable[ReadModel]) -> dict[str, tuple[int, int]]:
    """Generation 1 of each of ``models``, built with its version."""
    return {model.NAME: (1, version(model)) for model in models}


def generations(url: str) -> dict[str, tuple[int, int]]:
    """Each read model's live generation and the version that built it."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT name, generation, version FROM projection_generations")
        return {name: (generation, version) for name, generation, version in rows}


async def checked(platform: Platform) -> None:
    """Until the projector has looked for outdated models and rebuilt them."""
    for _ in range(1200):
        if platform.liveness.loop(versions.LOOP).last_progress is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read models' versions were not checked within 60 s")


async def test_a_model_another_version_built_is_rebuilt_from_the_store_as_the_projector_starts(
    deployment: tuple[Settings, Servers],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = deployment[1].database_url
    await an_earlier_release(deployment, 30)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE timeline SET summary = %s", (ALTERED,))
    monkeypatch.setattr(timeline, "VERSION", NEXT)  # the release changed how it is derived

    with caplog.at_level(logging.INFO, "carecoord.rebuild"):
        async with started(deployment) as platform:
            await checked(platform)
            body = await health(platform)
            async with platform.pool.connection() as conn:
                cur = await conn.execute("SELECT count(*), count(*) FILTER (WHERE summary = %s)"
                                         " FROM timeline", (ALTERED,))  # fmt: skip
                counted = await cur.fetchone()

    found = generations(url)
    assert found.pop("timeline") == (2, NEXT)
    assert found == as_set_up(m for m in READ_MODELS if m is not timeline)  # not rebuilt
    assert counted == (30, 0)
    assert body["outdatedModels"] == {}
    said = {
        (record.getMessage(), getattr(record, "code", None), str(getattr(record, "read_model", "")))
        for record in caplog.records
    }
    assert ("rebuilding read models built by another version", "READ_MODEL_OUTDATED", "") in said
    assert ("rebuilt", None, "timeline") in said


async def test_an_unchanged_deployment_starts_without_rebuilding_anything(
    deployment: tuple[Settings, Servers],
) -> None:
    await an_earlier_release(deployment, 3)

    async with started(deployment) as platform:
        await checked(platform)
        body = await health(platform)

    assert generations(deployment[1].database_url) == as_set_up(READ_MODELS)
    assert body["status"] == "ok"
    assert body["outdatedModels"] == {}


async def test_a_database_set_up_before_versions_were_recorded_counts_as_version_one(
    deployment: tuple[Settings, Servers], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release that records versions first, every model at version 1."""
    for model in READ_MODELS:
        monkeypatch.setattr(model, "VERSION", 1, raising=False)
    url = deployment[1].database_url
    await an_earlier_release(deployment, 3)
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE projection_generations DROP COLUMN version")

    async with started(deployment, project=False) as api:  # an API process may start first
        body = await health(api)
    async with started(deployment) as platform:
        await checked(platform)

    assert body["outdatedModels"] == {}
    assert set(generations(url).values()) == {(1, 1)}
    with psycopg.connect(url) as conn:
        cur = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename ~ '_g[0-9]+$'")
        assert cur.fetchone() == (len(READ_MODELS),)


async def test_health_names_an_outdated_model_until_a_rebuild_records_its_version(
    deployment: tuple[Settings, Servers], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API process (no projector, so nothing rebuilds it on its own) on a release that
    changed the timeline's derivation; then ``carecoord rebuild timeline``."""
    await an_earlier_release(deployment, 3)
    monkeypatch.setattr(timeline, "VERSION", NEXT)

    async with started(deployment, project=False) as api:
        before = await health(api)
        done = await rebuild(api.store, api.pool, timeline)
        after = await health(api)

    assert before["status"] == "degraded"
    assert before["outdatedModels"] == {"timeline": {"builtWith": NEXT - 1, "version": NEXT}}
    assert done.generation == 2
    assert generations(deployment[1].database_url)["timeline"] == (2, NEXT)
    assert after["outdatedModels"] == {}
    assert after["status"] == "ok"


async def test_a_model_another_rebuild_holds_is_left_to_it(
    deployment: tuple[Settings, Servers],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = deployment[1].database_url
    await an_earlier_release(deployment, 3)
    monkeypatch.setattr(timeline, "VERSION", NEXT)

    with psycopg.connect(url, autocommit=True) as other, caplog.at_level(logging.WARNING):
        other.execute(
            "SELECT pg_advisory_lock(hashtext('carecoord.rebuild'), hashtext('timeline'))"
        )
        async with started(deployment) as platform:
            await checked(platform)
            body = await health(platform)

    assert generations(url)["timeline"] == (1, NEXT - 1)
    assert body["outdatedModels"] == {"timeline": {"builtWith": NEXT - 1, "version": NEXT}}
    assert [getattr(r, "read_model", None) for r in caplog.records
            if getattr(r, "code", None) == "REBUILD_RUNNING"] == ["timeline"]  # fmt: skip


async def a_goal_set(deployment: tuple[Settings, Servers]) -> str:
    """The platform run once: a client with a prescriber on the care team, a goal the
    prescriber set and a step of progress on it, every read model caught up; the client's
    id."""
    async with started(deployment) as platform:
        client = await platform.bus.execute(enroll_client(ADMIN, display_name="c", program="OTP"))
        await platform.bus.execute(
            assign_member(ADMIN, client_id=client.result, member_id="prescriber-1",
                          role=Role.PRESCRIBER)
        )  # fmt: skip
        goal = await platform.bus.execute(
            set_treatment_goal(PRESCRIBER, client_id=client.result, description="walk daily")
        )
        last = await platform.bus.execute(
            record_goal_progress(PRESCRIBER, client_id=client.result, goal_id=goal.result,
                                 achievement=GoalAchievement.IMPROVING)
        )  # fmt: skip
        for model in READ_MODELS:
            assert await platform.progress.reach(model.NAME, last.position, 10)
    return str(client.result)


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of an answer, its extensions and whether it carries data."""
    (error,) = body["errors"]
    return {**error["extensions"], "data": body.get("data")}


async def test_an_api_started_before_the_projector_refuses_goals_until_rebuilt(
    deployment: tuple[Settings, Servers],
) -> None:
    """An upgrade whose goals view gained a column: the API process, up first, answers a
    retryable refusal naming the view (it answered an internal error until the projector
    added the column), then the goals once the projector has rebuilt the view."""
    client_id = await a_goal_set(deployment)
    with psycopg.connect(deployment[1].database_url) as conn:
        conn.execute(BEFORE_ACTOR_ROLE)

    async with started(deployment, project=False) as platform, serving_api(platform) as api:
        before = await api.gql(CLIENT_GOALS, {"c": client_id}, role=Role.PRESCRIBER)
        timeline_before = await api.ok(STEPS, {"c": client_id}, role=Role.PRESCRIBER)
        async with started(deployment) as projector:
            await checked(projector)
        after = await api.ok(CLIENT_GOALS, {"c": client_id}, role=Role.PRESCRIBER)

    assert refusal(before) == {
        "code": "READ_MODEL_REBUILDING",
        "field": "readModel",
        "rule": "read-model-rebuilding",
        "readModel": "treatment_goals",
        "retryable": True,
        "data": None,
    }
    assert "walk daily" not in str(before)
    assert after == {"clientGoals": [{"description": "walk daily"}]}
    # The timeline is served meanwhile, a progress step's restated goal words shown as a
    # prescriber's are (the goals view is not read): it answered an internal error.
    assert [e["node"] for e in timeline_before["clientTimeline"]["edges"]] == [
        {"type": "care.TreatmentGoalSet", "withheld": []},
        {"type": "care.GoalProgressRecorded", "withheld": []},
    ]


async def test_no_access_is_decided_on_an_access_view_another_version_built(
    deployment: tuple[Settings, Servers], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The care-team view's derivation changed: reads and writes that rest on it are refused
    as retryable until ``carecoord rebuild care_team`` switches it, which the API is told."""
    client_id = await a_goal_set(deployment)
    monkeypatch.setattr(careteam, "VERSION", version(careteam) + 1)

    async with started(deployment, project=False) as platform, serving_api(platform) as api:
        read = await api.gql(CLIENT_TIMELINE, {"c": client_id}, role=Role.PRESCRIBER)
        written = await api.gql(
            "mutation($i: SetTreatmentGoalInput!) { setTreatmentGoal(input: $i) { id } }",
            {"i": {"clientId": client_id, "description": "sleep eight hours"}},
            role=Role.PRESCRIBER,
        )
        await rebuild(platform.store, platform.pool, careteam)
        for _ in range(100):  # the switch is announced, not looked up per request
            if platform.progress.built(careteam.NAME) == version(careteam):
                break
            await asyncio.sleep(0.05)
        after = await api.ok(CLIENT_TIMELINE, {"c": client_id}, role=Role.PRESCRIBER)

    assert refusal(read)["code"] == refusal(written)["code"] == "READ_MODEL_REBUILDING"
    assert refusal(read)["readModel"] == refusal(written)["readModel"] == "care_team"
    assert len(after["clientTimeline"]["edges"]) == 4


async def test_a_clients_own_doses_wait_for_the_view_their_blind_taper_is_read_from(
    deployment: tuple[Settings, Servers], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a blind taper keeps from the client reading their doses is read from the
    medications view: while another version's derivation of it is live, the client's
    ``clientDosing`` is refused as retryable; a nurse's, which hides nothing, is answered."""
    client_id = await a_goal_set(deployment)
    monkeypatch.setattr(medications, "VERSION", version(medications) + 1)
    dosing = "query($c: UUID!) { clientDosing(clientId: $c) { given } }"

    async with started(deployment, project=False) as platform, serving_api(platform) as api:
        own = await api.gql(dosing, {"c": client_id}, token=api.token(Role.CLIENT, client_id))
        by_prescriber = await api.ok(dosing, {"c": client_id}, role=Role.PRESCRIBER)

    assert (refusal(own)["code"], refusal(own)["readModel"]) == (
        "READ_MODEL_REBUILDING",
        "medications",
    )
    assert by_prescriber == {"clientDosing": {"given": 0}}
