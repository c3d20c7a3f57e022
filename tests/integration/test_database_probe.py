"""The database probe behind /health against real servers: a pool that is only busy, a
server turning connections away for want of a slot, a refused port and a silent one, each
told apart within the bound (services/infrastructure/database_probe.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from conftest import fresh_database
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from carecoord.services.infrastructure.database_probe import Reach, read_or_probe, taken
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.metrics import Metrics
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

BOUND = 2.0
SLACK = 0.5


async def select_one(conn: AsyncConnection[Any]) -> int:
    cur = await conn.execute("SELECT 1")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


@asynccontextmanager
async def opened(url: str, size: int) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(url, min_size=size, max_size=size, open=False)
    await pool.open(wait=True, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def all_out(pool: AsyncConnectionPool, seconds: int = 5) -> AsyncIterator[None]:
    """Every connection of ``pool`` checked out on ``pg_sleep`` while the block runs."""
    held = asyncio.Semaphore(0)

    async def sleep() -> None:
        async with pool.connection(timeout=10) as conn:
            held.release()
            await conn.execute(f"SELECT pg_sleep({seconds})")

    sleepers = [asyncio.create_task(sleep()) for _ in range(pool.max_size)]
    try:
        for _ in sleepers:
            await held.acquire()
        yield
    finally:
        for task in sleepers:
            task.cancel()
        await asyncio.gather(*sleepers, return_exceptions=True)


async def probe(pool: AsyncConnectionPool, url: str) -> tuple[Reach, float]:
    started = time.monotonic()
    reading = await read_or_probe(pool, url, select_one, BOUND)
    took = time.monotonic() - started
    assert took < BOUND + SLACK, took
    assert (reading.value == 1) == (reading.reach is Reach.ANSWERS)
    return reading.reach, took


def end_every_backend(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def test_a_pool_whose_connections_the_server_ended_answers(servers: Servers) -> None:
    """Its backends terminated (a restart, an operator): the connection it hands out first
    is dead, and so are its other idle ones. It was answered busy, the pool all but idle."""
    with fresh_database(servers.database_url) as url:
        async with opened(url, 3) as pool:
            end_every_backend(url)
            reach, _ = await probe(pool, url)
    assert reach is Reach.ANSWERS


async def test_a_scrape_after_the_server_ended_the_connections_reads_the_positions(
    platform: Platform,
) -> None:
    """/metrics the same: carecoord_metrics_database_read read 0, the positions unread."""
    metrics = Metrics()
    async with opened(platform.database_url, 3) as pool:
        end_every_backend(platform.database_url)
        await metrics.refresh(platform.store, pool, Liveness(), {})
    assert metrics.database_read._value.get() == 1


async def test_an_idle_pool_answers(servers: Servers) -> None:
    with fresh_database(servers.database_url) as url:
        async with opened(url, 2) as pool:
            reach, took = await probe(pool, url)
    assert reach is Reach.ANSWERS
    assert took < 0.5


async def test_a_pool_with_every_connection_out_is_busy(servers: Servers) -> None:
    with fresh_database(servers.database_url) as url:
        async with opened(url, 2) as pool, all_out(pool):
            reach, _ = await probe(pool, url)
            # Requests queued behind the sleepers: the probe queues with them for its half.
            waiter = asyncio.create_task(select_one_from(pool))
            await asyncio.sleep(0.1)
            assert pool.get_stats()["requests_waiting"] >= 1
            queued_reach, _ = await probe(pool, url)
            waiter.cancel()
    assert reach is Reach.BUSY
    assert queued_reach is Reach.BUSY


async def test_a_pool_out_for_a_moment_with_a_request_queued_answers(servers: Servers) -> None:
    """Every connection out and a request queued, as the loops sharing the process's pool
    have them at its start, and back while the probe waits: it reads (it answered busy,
    ``PoolExhausted``, at once, and /health named the process's pool busy under load)."""
    with fresh_database(servers.database_url) as url:
        async with opened(url, 2) as pool:
            out = [await pool.getconn(timeout=10) for _ in range(pool.max_size)]
            waiter = asyncio.create_task(select_one_from(pool))
            reading = asyncio.create_task(probe(pool, url))
            for _ in range(1000):  # until both are queued, or the probe answered unqueued
                if reading.done() or pool.get_stats().get("requests_waiting", 0) >= 2:
                    break
                await asyncio.sleep(0.01)
            for conn in out:
                await pool.putconn(conn)
            reach, _ = await reading
            await waiter
    assert reach is Reach.ANSWERS


async def test_each_pool_that_hands_out_no_connection_is_named(servers: Servers) -> None:
    """The process's other pools, async (the API's reads) and the library's threaded one
    (the store's writer), each asked for a connection within the bound."""
    with fresh_database(servers.database_url) as url:
        store = ConnectionPool(url, min_size=1, max_size=1, open=False)
        store.open(wait=True, timeout=10)
        try:
            async with opened(url, 2) as reads, opened(url, 2) as replica:
                pools = {"requests": reads, "replica": replica, "store": store}
                assert await taken(pools, BOUND / 2) == []
                async with all_out(reads):
                    started = time.monotonic()
                    assert await taken(pools, BOUND / 2) == ["requests"]
                    assert time.monotonic() - started < BOUND / 2 + SLACK
                    with store.connection(timeout=10):
                        assert await taken(pools, BOUND / 2) == ["requests", "store"]
                assert await taken(pools, BOUND / 2) == []
        finally:
            store.close()


async def select_one_from(pool: AsyncConnectionPool) -> int:
    async with pool.connection(timeout=30) as conn:
        return await select_one(conn)


@contextmanager
def role_limited_to(base: str, database_url: str, slots: int) -> Iterator[str]:
    """A login role allowed ``slots`` connections; the URL that connects as it."""
    role = f"cc_probe_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {slots}')
    try:
        info = conninfo_to_dict(database_url)
        info["user"] = role
        info.pop("password", None)
        yield make_conninfo("", **{k: v for k, v in info.items() if v is not None})
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_a_server_with_no_slot_left_is_busy_not_unreachable(servers: Servers) -> None:
    """The probe's own connection refused for want of a slot (SQLSTATE 53300): the server
    answered, it is full; the pool holding every slot it may have is busy."""
    with (
        fresh_database(servers.database_url) as url,
        role_limited_to(servers.database_url, url, 2) as limited,
    ):
        async with opened(limited, 2) as pool, all_out(pool):
            reach, _ = await probe(pool, limited)
    assert reach is Reach.BUSY


async def test_a_refused_port_is_unreachable(servers: Servers) -> None:
    with fresh_database(servers.database_url) as url:
        async with opened(url, 1) as pool:
            closed = make_conninfo(url, host="127.0.0.1", port="1")
            async with all_out(pool):
                reach, _ = await probe(pool, closed)
    assert reach is Reach.UNREACHABLE


async def test_a_silent_server_is_unreachable_within_the_bound() -> None:
    """A server that takes the connection and never says a word: the pool's wait for a
    connection and the probe's own connect both time out, and the answer still comes within
    the bound."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"postgresql://nobody@127.0.0.1:{port}/nothing"
    pool = AsyncConnectionPool(url, min_size=0, max_size=1, open=False)
    await pool.open(wait=False)
    try:
        reach, took = await probe(pool, url)
    finally:
        await pool.close(timeout=1)
        for writer in accepted:
            writer.close()
        server.close()
    assert reach is Reach.UNREACHABLE
    assert took >= BOUND / 2  # it waited, and no longer than the bound (``probe``)
