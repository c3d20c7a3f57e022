"""Pooled connections for reads of one statement each.

A pooled connection opens a transaction at its first statement and commits it when handed
back: a read of one statement paid two more round trips (BEGIN, COMMIT) than the read
itself, and a timeline page read makes two such reads. A statement run in autocommit is a
transaction of its own, with the same snapshot a lone statement in BEGIN ... COMMIT has.
The switch is the client's alone (no round trip), and is turned back before the
connection returns to the pool, where other users expect their statements in one
transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import psycopg
from psycopg import AsyncConnection, pq
from psycopg_pool import AsyncConnectionPool


@contextlib.asynccontextmanager
async def autocommitted(pool: AsyncConnectionPool) -> AsyncIterator[AsyncConnection]:
    """A connection of ``pool`` on which each statement commits by itself."""
    async with pool.connection() as conn:
        await conn.set_autocommit(True)
        try:
            yield conn
        finally:
            # A transaction its user began and did not end (a failure between BEGIN and
            # COMMIT) is rolled back. A broken connection refuses both; the pool discards it.
            with contextlib.suppress(psycopg.Error):
                if conn.info.transaction_status is not pq.TransactionStatus.IDLE:
                    await conn.rollback()
                await conn.set_autocommit(False)
