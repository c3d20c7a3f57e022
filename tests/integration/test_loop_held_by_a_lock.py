"""A projector waiting on a lock that someone holds on what it writes (a session left open
in a transaction, a table locked by hand) is stuck once it has waited ``loop_stuck_seconds``
with a page in hand: /health answers 503 naming it, and ok again once it gets through. It
failed nothing while it waited, so /health said ok, stuckLoops empty, however long the
views stood still."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import psycopg
from conftest import isolated_settings, started

from carecoord.events import Actor, Role
from carecoord.graphql.status import health
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers

PROJECTIONS = "projections"
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (or fail after a minute)."""
    async with asyncio.timeout(60):
        while not condition():  # noqa: ASYNC110 - the loops' state is plain, with no event
            await asyncio.sleep(0.02)


async def test_a_projector_waiting_on_a_lock_is_stuck_until_it_gets_through(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir, loop_stuck_seconds=0.2)
    async with (
        started(settings, servers, relay=False) as platform,
        await psycopg.AsyncConnection.connect(platform.database_url) as holder,
    ):
        await holder.execute("LOCK TABLE follower_positions IN EXCLUSIVE MODE")
        await platform.bus.execute(enroll_client(ADMIN, display_name="A", program="OTP"))

        await until(lambda: PROJECTIONS in platform.liveness.stuck())
        assert PROJECTIONS in (await health(platform))["stuckLoops"]  # type: ignore[operator]

        await holder.rollback()
        await until(lambda: platform.liveness.stuck() == [])
        assert (await health(platform))["status"] == "ok"
