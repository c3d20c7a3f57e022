"""A rebuild fills a new generation from the store and switches to it while writes go on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from conftest import isolated_settings, started
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.projections import timeline
from carecoord.projections.models import READ_MODELS
from carecoord.projections.progress import LOOP as LISTENER
from carecoord.projections.projector import Projector
from carecoord.projections.rebuild import RebuildRunning, rebuild, rebuild_all
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.gate.grants import ACCESS_MODELS
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def enroll(platform: Platform, count: int) -> int:
    outcomes = await asyncio.gather(
        *(
            platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
            for i in range(count)
        )
    )
    return max(o.position for o in outcomes)


async def test_rebuild_under_live_writes_keeps_every_entry_once(platform: Platform) -> None:
    await enroll(platform, 3000)
    progress: list[tuple[int, int]] = []

    writing = asyncio.create_task(enroll(platform, 500))
    done = await rebuild(
        platform.store,
        platform.pool,
        timeline,
        on_progress=lambda at, of: progress.append((at, of)),
    )
    last = await writing
    assert await platform.progress.reach(timeline.NAME, last, 10)

    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*), count(DISTINCT position), max(position) FROM timeline"
        )
        counted = await cur.fetchone()
        cur = await conn.execute("SELECT to_regclass('timeline_g1')")
        regclass = await cur.fetchone()
        cur = await conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'timeline_g2'::regclass"
            " AND attnum > 0 AND attstattarget = 0 ORDER BY attname"
        )
        unsampled = [name for (name,) in await cur.fetchall()]
    assert counted is not None
    assert regclass is not None
    rows, distinct, top = counted
    old_table = regclass[0]
    assert done.generation == 2
    assert done.events >= 3000
    assert rows == distinct == 3500
    assert top == last
    assert old_table is None
    assert unsampled == ["facts", "summary"]  # the new generation's ANALYZE skips them
    assert progress
    assert progress[-1][0] <= progress[-1][1]


async def test_a_second_rebuild_of_a_model_is_refused_and_the_first_keeps_every_entry(
    platform: Platform,
) -> None:
    """Two rebuilds of one model both filled generation N+1: the second dropped the first's
    full table and made it anew, the first switched the view to that empty table and said
    it was rebuilt, and the timeline read empty at the store's head."""
    last = await enroll(platform, 300)
    assert await platform.progress.reach(timeline.NAME, last, 10)
    with psycopg.connect(platform.database_url) as holder:
        # The first rebuild waits at its switch on the live position row, its table full.
        holder.execute("SELECT 1 FROM follower_positions WHERE name = 'timeline' FOR UPDATE")
        first = asyncio.create_task(rebuild(platform.store, platform.pool, timeline))
        while not await _waiting_on_a_lock(platform.pool):
            assert not first.done(), first
            await asyncio.sleep(0.01)
        with pytest.raises(RebuildRunning, match="another rebuild of timeline"):
            async with asyncio.timeout(60):  # it would wait at its own switch for good
                await rebuild(platform.store, platform.pool, timeline)
        holder.rollback()
    done = await first

    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM timeline")
        counted = await cur.fetchone()
    assert done.generation == 2
    assert counted == (300,)
    again = await rebuild(platform.store, platform.pool, timeline)  # the lock went with it
    assert again.generation == 3


async def _waiting_on_a_lock(pool: AsyncConnectionPool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        found = await cur.fetchone()
    return int(found[0]) if found else 0


@contextlib.asynccontextmanager
async def without_a_projector(servers: Servers, data_dir: Path) -> AsyncIterator[Platform]:
    """A platform of the test's own whose views no projector of its own keeps (the API's
    process, or the rebuild's)."""
    async with started(isolated_settings(data_dir), servers, project=False) as found:
        yield found


async def test_a_rebuild_past_a_stopped_projector_tells_waiting_readers(
    servers: Servers, data_dir: Path
) -> None:
    """A rebuild moves a model past where a stopped projector left it; readers waiting for
    that position are told, as the projector tells them. They were not: the access views
    held a care-team change, yet every request about the client was refused as catching up
    until some other event was projected."""
    async with without_a_projector(servers, data_dir) as api:
        enrolled = await api.bus.execute(enroll_client(ADMIN, display_name="Rae", program="OTP"))
        assigned = await api.bus.execute(
            assign_member(ADMIN, client_id=enrolled.result, member_id="nurse-1", role=Role.NURSE)
        )
        for _ in range(1000):  # listening, as a running API is
            if api.liveness.loop(LISTENER).last_progress is not None:
                break
            await asyncio.sleep(0.01)
        access = [m for m in READ_MODELS if m.NAME in ACCESS_MODELS]
        await rebuild_all(api.store, api.pool, access)
        reached = {
            name: await api.progress.reach(name, assigned.position, 5) for name in ACCESS_MODELS
        }
    assert reached == dict.fromkeys(ACCESS_MODELS, True)


async def test_a_projector_starting_as_a_rebuild_switches_leaves_the_view_on_the_new_tables(
    servers: Servers, data_dir: Path
) -> None:
    """A projector (re)started as a rebuild switched read the generation before the switch
    and pointed the view back at the old tables after it: the view showed a copy no one
    wrote any more (the rebuild could then not drop it), the projector wrote the new one."""
    async with without_a_projector(servers, data_dir) as platform:
        await enroll(platform, 30)
        url = platform.database_url
        with psycopg.connect(url) as at_switch, psycopg.connect(url) as old_tables:
            # The rebuild waits at its switch on the live position row.
            at_switch.execute("SELECT 1 FROM follower_positions WHERE name = 'timeline' FOR UPDATE")
            rebuilding = asyncio.create_task(rebuild(platform.store, platform.pool, timeline))
            await _waiters(platform.pool, 1, rebuilding)
            # The starting projector reads the generation, then waits on the old tables.
            old_tables.execute("LOCK TABLE timeline_g1 IN ACCESS EXCLUSIVE MODE")
            starting = asyncio.create_task(Projector(platform.pool, [timeline]).setup())
            await _waiters(platform.pool, 2, starting)
            at_switch.rollback()
            await asyncio.wait([rebuilding], timeout=2)  # the switch, as far as it goes
            old_tables.rollback()
            await starting
            with contextlib.suppress(psycopg.Error):  # it could not drop the old tables
                await rebuilding
        async with platform.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT generation FROM projection_generations WHERE name = 'timeline'"
            )
            generation = await cur.fetchone()
            cur = await conn.execute("SELECT definition FROM pg_views WHERE viewname = 'timeline'")
            view = await cur.fetchone()
    assert generation == (2,)
    assert view is not None
    assert "timeline_g2" in view[0], view[0]


async def _waiters(pool: AsyncConnectionPool, count: int, task: asyncio.Task[object]) -> None:
    """Until ``count`` sessions wait on a lock (``task`` still running)."""
    async with asyncio.timeout(30):
        while await _waiting_on_a_lock(pool) < count:
            assert not task.done(), task
            await asyncio.sleep(0.01)
