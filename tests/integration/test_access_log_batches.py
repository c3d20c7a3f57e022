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
from statements import statements

from carecoord.events import Actor, Role
from carecoord.events.access import ClientRecordRead
from carecoord.services.gate.gate import read_entry
from carecoord.services.infrastructure import access_log
from carecoord.services.infrastructure.access_chain import GENESIS, link
from carecoord.services.infrastructure.settings import Flush
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers


@contextlib.asynccontextmanager
async def writing(
    servers: Servers, flush: Flush = "committed"
) -> AsyncIterator[tuple[access_log.AccessLog, AsyncConnectionPool]]:
    with fresh_database(servers.database_url) as url:
        async with AsyncConnectionPool(url, min_size=1, max_size=4) as pool:
            log = access_log.AccessLog(pool, flush=flush)
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


@pytest.mark.parametrize(("flush", "synchronous_commit"), [("committed", "off"), ("flushed", "on")])
async def test_a_batch_commits_waiting_for_the_wal_flush_only_when_asked_to(
    servers: Servers, flush: Flush, synchronous_commit: str
) -> None:
    """The setting a batch's transaction ran under, as a trigger on the log saw it; the
    entries are committed (another connection reads them) either way."""
    async with writing(servers, flush) as (log, pool):
        await log.append(entry(0))
        async with pool.connection() as conn:
            await conn.execute("CREATE TABLE seen (setting text)")
            await conn.execute(
                "CREATE FUNCTION note_setting() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN INSERT INTO seen VALUES (current_setting('synchronous_commit'));"
                " RETURN NULL; END $$"
            )
            await conn.execute(
                "CREATE TRIGGER noted AFTER INSERT ON access_log"
                " FOR EACH STATEMENT EXECUTE FUNCTION note_setting()"
            )
        await asyncio.gather(*(log.append(entry(n)) for n in range(1, 4)))
        async with await psycopg.AsyncConnection.connect(str(pool.conninfo)) as other:
            logged = await (await other.execute("SELECT count(*) FROM access_log")).fetchone()
            seen = await (await other.execute("SELECT DISTINCT setting FROM seen")).fetchall()
        assert logged == (4,)
        assert seen == [(synchronous_commit,)]


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


async def test_writers_of_two_processes_extend_one_chain(servers: Servers) -> None:
    """Batches of two writers, one after the other and at once, are linked in the order
    they were committed, whichever wrote last."""
    async with writing(servers) as (first, pool):
        second = access_log.AccessLog(pool)
        task = asyncio.create_task(second.run())
        try:
            for n in range(0, 12, 2):
                await first.append(entry(n))
                await second.append(entry(n + 1))
            await asyncio.gather(
                *(writer.append(entry(n)) for n in range(12, 40) for writer in (first, second))
            )
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        checked = await access_log.verify(pool)
        assert checked.broken is None
        assert checked.checked == first.written + second.written == 12 + 56


async def test_a_batch_is_appended_in_one_statement_whoever_wrote_the_head(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with writing(servers) as (log, pool):
        await log.append(entry(0))
        with statements(monkeypatch) as own_head:
            await asyncio.gather(log.append(entry(1)), log.append(entry(2)))
        other = access_log.AccessLog(pool)
        await other._write([entry(3)])  # another process's writer, as far as ``log`` knows
        with statements(monkeypatch) as moved_head:
            await log.append(entry(4))
        assert len(own_head) == 1
        assert len(moved_head) == 1
        assert (await access_log.verify(pool)).checked == 5


async def test_an_entry_is_linked_as_the_chain_says(servers: Servers) -> None:
    """The database's link of each entry is ``access_chain.link`` of the entry before's hash
    and the stored entry, from the first (after ``GENESIS``) on."""
    async with writing(servers) as (log, pool):
        await asyncio.gather(*(log.append(entry(n)) for n in range(5)))
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT prev_hash, hash, event FROM access_log ORDER BY seq")
            rows = await cur.fetchall()
    prev = GENESIS
    for stored_prev, stored_hash, body in rows:
        assert (bytes(stored_prev), bytes(stored_hash)) == (prev, link(prev, body))
        prev = bytes(stored_hash)
    assert len(rows) == 5


async def test_an_entry_whose_text_needs_escaping_is_stored_as_it_is(servers: Servers) -> None:
    """Quotes, backslashes, braces and characters beyond ASCII in an entry's text reach the
    row, its JSON and its link unchanged."""
    odd = 'nurse "o\'neil" \\ {a,b} \u00fc \U0001f642'
    stamp = Stamp(Actor(id=odd, role=Role.NURSE), correlation_id=uuid.uuid4())
    async with writing(servers) as (log, pool):
        await asyncio.gather(
            *(log.append(read_entry(stamp, uuid.UUID(int=n + 1), "x")) for n in range(3))
        )
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT actor_id, event->'actor'->>'id' FROM access_log")
            stored = await cur.fetchall()
        checked = await access_log.verify(pool)
    assert stored == [(odd, odd)] * 3
    assert checked.broken is None
    assert checked.checked == 3
