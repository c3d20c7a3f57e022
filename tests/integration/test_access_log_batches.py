"""The access log's group commit: entries appended together go out in batches, stored in the
order they were chained, and the chain verifies; a batch that fails fails its reads and
leaves the log as it was."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from conftest import fresh_database
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.events.access import ClientRecordRead
from carecoord.services.gate.gate import read_entry
from carecoord.services.infrastructure import access_log
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers


@contextlib.asynccontextmanager
async def writing(
    servers: Servers,
) -> AsyncIterator[tuple[access_log.AccessLog, AsyncConnectionPool]]:
    with fresh_database(servers.database_url) as url:
        async with AsyncConnectionPool(url, min_size=1, max_size=4) as pool:
            log = access_log.AccessLog(pool)
            task = asyncio.create_task(log.run())
            try:
                yield log, pool
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def entry(n: int) -> ClientRecordRead:
    stamp = Stamp(Actor(id=f"nurse-{n % 3}", role=Role.NURSE), correlation_id=uuid.uuid4())
    return read_entry(stamp, uuid.UUID(int=n + 1), "clientTimeline", count=n)


async def test_entries_appended_together_are_chained_in_order_and_verify(
    servers: Servers,
) -> None:
    async with writing(servers) as (log, pool):
        await log.append(entry(0))
        wanted = [entry(n) for n in range(1, 121)]
        await asyncio.gather(*(log.append(e) for e in wanted))
        assert log.written == 121
        found = await access_log.entries(pool, client_id=None, actor_id=None, after=0, limit=500)
        assert [e.entry.event_id for e in found[1:]] == [e.event_id for e in wanted]
        checked = await access_log.verify(pool)
        assert checked.broken is None
        assert checked.checked == 121
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(DISTINCT prev_hash), count(DISTINCT xmin::text) FROM access_log"
            )
            links, transactions = await cur.fetchone() or (0, 0)
        assert links == 121
        assert transactions < 10, "appended together, committed in a few batches"


async def test_a_batch_that_fails_fails_its_reads_and_leaves_the_log_as_it_was(
    servers: Servers,
) -> None:
    async with writing(servers) as (log, pool):
        await log.append(entry(0))
        async with pool.connection() as conn:
            await conn.execute(
                "ALTER TABLE access_log ADD CONSTRAINT few CHECK (operation <> 'refused here')"
            )
        stamp = Stamp(Actor(id="nurse-9", role=Role.NURSE), correlation_id=uuid.uuid4())
        bad = read_entry(stamp, uuid.UUID(int=99), "refused here")
        with pytest.raises(psycopg.errors.CheckViolation):
            await log.append(bad)
        await log.append(entry(1))  # the writer goes on, on a connection as good as before
        checked = await access_log.verify(pool)
        assert checked.broken is None
        assert checked.checked == 2
