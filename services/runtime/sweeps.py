"""What the periodic sweeps share: the clients a read model names as candidates, and the
loop that runs a sweep every interval and carries on past a failed run (the next one
catches up: each sweep decides on the aggregates, so it is idempotent)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

from psycopg import sql
from psycopg_pool import AsyncConnectionPool


async def clients(pool: AsyncConnectionPool, candidates: sql.SQL) -> list[UUID]:
    """The client ids ``candidates`` selects."""
    async with pool.connection() as conn:
        cur = await conn.execute(candidates)
        return [row[0] for row in await cur.fetchall()]


async def every(seconds: float, once: Callable[[], Awaitable[object]], log: logging.Logger) -> None:
    """``once`` every ``seconds``, a failure logged and the next run tried as usual."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await once()
        except Exception:
            log.exception("sweep failed; retrying at the next interval")
