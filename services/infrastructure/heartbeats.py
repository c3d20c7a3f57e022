"""That the relay and the projector are alive, said in PostgreSQL every few seconds.

A follower's lag grows only while events arrive: a projector killed (or its event loop
hung) on a quiet evening left every position where it was, and ``/health`` of the API, in
another process, answered ``ok`` over a timeline that would not move. So each follower
loop's process beats here while the loop is not stuck (``liveness.py``), and every
``/health`` names a follower whose beat is older than ``follower_silent_seconds``.
A process that stops cleanly says so (``stopped_at``): it is absent, not silent.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from carecoord.services.infrastructure.liveness import Liveness, error_code, keep_running

log = logging.getLogger("carecoord.heartbeats")

DDL = """
CREATE TABLE IF NOT EXISTS follower_heartbeats (
    name text PRIMARY KEY,
    beat_at timestamptz NOT NULL,
    stopped_at timestamptz
)
"""
LOOP = "heartbeat"
SILENT = "FOLLOWER_SILENT"
BEAT_SECONDS = 5.0
"""The longest pause between beats; a third of the silence bound when that is shorter."""
STOP_SECONDS = 2.0
"""How long a stopping process waits for a connection to say it stopped."""


class Heartbeat:
    """The beats of one process's follower loops (``names``, as ``Liveness`` knows them)."""

    def __init__(
        self, pool: AsyncConnectionPool, names: list[str], liveness: Liveness, silent_after: float
    ) -> None:
        self._pool, self.names, self._liveness = pool, names, liveness
        self._every = min(BEAT_SECONDS, silent_after / 3)

    async def run(self) -> None:
        await keep_running(LOOP, self._beat, self._liveness)

    async def _beat(self) -> None:
        while True:
            stuck = set(self._liveness.stuck())
            alive = [name for name in self.names if name not in stuck]
            async with self._pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO follower_heartbeats (name, beat_at) SELECT unnest(%s::text[]),"
                    " now() ON CONFLICT (name) DO UPDATE SET beat_at = now(), stopped_at = NULL",
                    (alive,),
                )
            self._liveness.progressed(LOOP)
            await asyncio.sleep(self._every)

    async def stopped(self) -> None:
        """The loops ended on purpose: no follower of theirs is reported silent. With the
        database away the stop goes on, and they read as silent, as a crash's would."""
        try:
            async with self._pool.connection(timeout=STOP_SECONDS) as conn:
                await conn.execute(
                    "UPDATE follower_heartbeats SET stopped_at = now() WHERE name = ANY(%s)",
                    (self.names,),
                )
        except (psycopg.Error, PoolTimeout) as failure:
            log.warning("stop not recorded", extra={"loop": LOOP, "error": error_code(failure)})


async def silent_on(conn: AsyncConnection, after: float) -> dict[str, float]:
    """Seconds since each running follower's last beat, for those silent ``after`` seconds
    or more (the database's clock on both sides)."""
    cur = await conn.execute(
        "SELECT name, extract(epoch FROM now() - beat_at)::float8 FROM follower_heartbeats"
        " WHERE stopped_at IS NULL AND beat_at <= now() - make_interval(secs => %s)",
        (after,),
    )
    return {str(name): round(float(seconds), 1) for name, seconds in await cur.fetchall()}
