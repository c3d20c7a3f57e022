"""A projector that catches up on a large backlog (a new deployment on an existing store, a
long stop) ANALYZEs the tables it grew, once, as a rebuild does the tables it fills: where
autovacuum is off or slow, a timeline page from the middle took 8-30 ms instead of 0.1 ms,
planned on guesses. A projector keeping up, a batch at a time, samples nothing, nor does a
catch-up any table it left alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from conftest import delete_stream, fresh_database, isolated_settings

from carecoord.events import Actor, Role
from carecoord.projections import alerts, statistics, timeline
from carecoord.projections.projector import ReadModel
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers, running

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
BATCH = 50
BACKLOG = 530
"""Enrolments recorded while no projector runs: eleven pages of ``BATCH`` and a last one not
full, which ends the catch-up."""


@pytest.fixture
async def deployment(servers: Servers, data_dir: Path) -> AsyncIterator[tuple[Settings, Servers]]:
    settings = isolated_settings(data_dir, projection_batch_size=BATCH)
    with fresh_database(servers.database_url) as url:
        try:
            yield settings, Servers(url, servers.nats_url)
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")


async def enrolled(platform: Platform, clients: int) -> int:
    """``clients`` enrolled; the position of the last."""
    position = 0
    for n in range(clients):
        done = await platform.bus.execute(enroll_client(ADMIN, display_name=f"c{n}", program="OTP"))
        position = done.position
    return position


def last_analyze(url: str, model: ReadModel) -> datetime | None:
    """When the model's live table (generation 1) was last ANALYZEd by a command."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = to_regclass(%s)",
            (model.table(1).as_string(conn),),
        ).fetchone()
    assert row is not None
    found: datetime | None = row[0]
    return found


async def analyzed(url: str, model: ReadModel) -> datetime:
    for _ in range(200):
        found = last_analyze(url, model)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{model.NAME} was not analyzed within 10 s of its catch-up")


async def test_a_catch_up_on_a_large_backlog_analyzes_the_tables_it_grew_once(
    deployment: tuple[Settings, Servers], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statistics, "ANALYZE_AT_LEAST", 100)
    url = deployment[1].database_url
    async with running(*deployment, project=False) as platform:
        last = await enrolled(platform, BACKLOG)

    async with running(*deployment) as platform:
        assert await platform.progress.reach(timeline.NAME, last, 30)
        sampled = await analyzed(url, timeline)
        assert last_analyze(url, alerts) is None, "no enrolment adds an alert"

        last = await enrolled(platform, 20)  # kept up with, a batch at a time
        assert await platform.progress.reach(timeline.NAME, last, 10)
        await asyncio.sleep(0.5)
        assert last_analyze(url, timeline) == sampled
