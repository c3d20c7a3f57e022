"""A projector leaves a read model whose live generation another version of its derivation
built to that version: an earlier release's projector still running beside an upgraded one
wrote its own rows into the upgraded tables, and the upgraded API served them as its own."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from conftest import isolated_settings, started

from carecoord.events import Actor, Role
from carecoord.projections import rebuild as rebuilds
from carecoord.projections import timeline
from carecoord.projections.projector import Projector, version
from carecoord.projections.rebuild import rebuild
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import positions
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NEXT = version(timeline) + 1
"""The timeline's version in a release that changes how its rows are derived."""


async def enroll(platform: Platform, count: int) -> int:
    last = 0
    for i in range(count):
        outcome = await platform.bus.execute(
            enroll_client(ADMIN, display_name=f"c{i}", program="OTP")
        )
        last = outcome.position
    return last


async def timeline_state(platform: Platform) -> tuple[int, int]:
    """The timeline's recorded position and how many rows it holds."""
    async with platform.pool.connection() as conn:
        at = await positions.read(conn, timeline.NAME)
        cur = await conn.execute("SELECT count(*) FROM timeline")
        counted = await cur.fetchone()
    return at, int(counted[0]) if counted else 0


async def test_a_projector_leaves_a_model_a_later_release_rebuilt_to_that_releases_projector(
    servers: Servers,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rolling upgrade: this release's projector still runs as the next one's has rebuilt
    the timeline with its own derivation."""
    async with started(isolated_settings(data_dir), servers, project=False) as platform:
        ours = Projector(platform.pool, [timeline])
        await ours.setup()
        last = await enroll(platform, 3)
        async with platform.pool.connection() as conn:  # as the later release's switch records
            await conn.execute(
                "UPDATE projection_generations SET version = %s WHERE name = %s",
                (NEXT, timeline.NAME),
            )
        batch = await asyncio.to_thread(platform.store.read, 0, 100)
        with caplog.at_level(logging.WARNING, "carecoord.projector"):
            left = await ours.handle(batch[:2])
            left_again = await ours.handle(batch[2:])
        kept_by_ours = await timeline_state(platform)
        monkeypatch.setattr(timeline, "VERSION", NEXT)  # the later release's projector
        later = await Projector(platform.pool, [timeline]).handle(batch)
        kept_by_later = await timeline_state(platform)

    assert left == left_again == {}
    assert kept_by_ours == (0, 0)
    assert later == {timeline.NAME: last}
    assert kept_by_later == (last, 3)
    said = [
        (getattr(r, "code", None), getattr(r, "read_model", None), getattr(r, "built_with", None))
        for r in caplog.records
    ]
    assert said == [("READ_MODEL_OTHER_VERSION", timeline.NAME, NEXT)]  # once, not each batch


async def test_a_rebuild_switch_takes_in_what_was_recorded_while_it_filled(
    servers: Servers, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgraded projector's start rebuilds the timeline an earlier version built; the live
    projector, leaving that generation alone, reads on past what is recorded meanwhile, so
    the switch catches the new generation up to the store's head."""
    async with started(isolated_settings(data_dir), servers, project=False) as platform:
        live = Projector(platform.pool, [timeline])
        await live.setup()
        await enroll(platform, 30)
        await live.handle(await asyncio.to_thread(platform.store.read, 0, 100))
        monkeypatch.setattr(timeline, "VERSION", NEXT)  # the release changed the derivation
        filling = rebuilds.fill
        recorded: list[int] = []

        async def written_meanwhile(*args: Any, **kwargs: Any) -> rebuilds.Filled:
            filled = await filling(*args, **kwargs)
            recorded.append(await enroll(platform, 5))
            page = await asyncio.to_thread(platform.store.read, filled.reached, 100)
            recorded.append(len(await live.handle(page, through=page[-1].position)))
            return filled

        monkeypatch.setattr(rebuilds, "fill", written_meanwhile)
        done = await rebuild(platform.store, platform.pool, timeline)
        after = await timeline_state(platform)

    last, moved = recorded
    assert moved == 0  # the live projector left the generation the earlier version built
    assert done.position == last
    assert after == (last, 35)
