"""/health while every pooled connection is out on a long request answers within its bound
that the database is busy (200, ``degraded``, ``busy: ["database"]``), not unreachable: a busy
pool answered 503 ``unavailable`` after 2 s and a supervisor restarted a process that was
serving. What it reads is bounded too: a read that hangs answers ``busy`` within the bound.
/metrics likewise: a scrape answered only once a pooled connection came free (30 s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import isolated_settings

from carecoord.graphql.status import DATABASE_ANSWER_SECONDS
from carecoord.services.infrastructure.metrics import DATABASE_READ_SECONDS
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.platform import Platform
from support import Api

POOL = 3
SLEEP_SECONDS = 6
ANSWERED_WITHIN = DATABASE_ANSWER_SECONDS + 1.0  # the bound, and an HTTP round trip's slack


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, db_pool_size=POOL)


@asynccontextmanager
async def every_connection_sleeping(platform: Platform) -> AsyncIterator[None]:
    """Each of the pool's connections checked out on ``pg_sleep`` until the block ends."""
    pool = platform.pool
    held = asyncio.Semaphore(0)

    async def sleep() -> None:
        async with pool.connection(timeout=10) as conn:
            held.release()
            await conn.execute(f"SELECT pg_sleep({SLEEP_SECONDS})")

    sleepers = [asyncio.create_task(sleep()) for _ in range(pool.max_size)]
    try:
        async with asyncio.timeout(10):
            for _ in sleepers:
                await held.acquire()
        stats = pool.get_stats()
        assert stats["pool_available"] == 0, stats
        assert stats["pool_size"] == pool.max_size, stats
        yield
    finally:
        await asyncio.gather(*sleepers, return_exceptions=True)


async def timed_health(api: Api, path: str = "/health") -> tuple[httpx.Response, float]:
    """On a connection of its own: a kept-alive one idle through the sleeps could be closed
    by the server's keep-alive timeout just as the request goes out."""
    started = time.monotonic()
    response = await api.health(path, timeout=30, headers={"connection": "close"})
    return response, time.monotonic() - started


def database_read(scrape: httpx.Response) -> str:
    [line] = (
        s for s in scrape.text.splitlines() if s.startswith("carecoord_metrics_database_read")
    )
    return line.split()[-1]


async def test_a_busy_pool_is_busy_not_unreachable(api: Api) -> None:
    assert (await timed_health(api))[0].status_code == 200
    async with every_connection_sleeping(api.platform):
        response, took = await timed_health(api)
        still_sleeping = api.platform.pool.get_stats()["pool_available"] == 0

    assert took < ANSWERED_WITHIN, took
    assert still_sleeping  # answered while the pool was busy, not after
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["busy"] == ["database"]
    assert "unreachable" not in body
    assert body["pool"]["available"] == 0
    assert body["pool"]["size"] == body["pool"]["max"] == POOL
    assert "loops" in body
    assert "stuckLoops" in body

    # The sleeps over, the same process answers in full again.
    response, _ = await timed_health(api)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "followers" in response.json()


async def test_a_read_that_hangs_answers_within_the_bound(api: Api) -> None:
    """The positions table locked by another session: the pooled connection is had, its
    read waits on the lock, and /health still answers within the bound (busy: the server
    answers), never after the lock is let go."""
    assert (await timed_health(api))[0].status_code == 200
    locker = await psycopg.AsyncConnection.connect(api.platform.database_url)
    async with locker, locker.transaction():
        await locker.execute("LOCK TABLE follower_positions IN ACCESS EXCLUSIVE MODE")
        response, took = await timed_health(api)
    assert took < ANSWERED_WITHIN, took
    assert response.status_code == 200, response.text
    assert response.json()["busy"] == ["database"]

    # The read given up on ended by itself: the pool is whole and /health reads in full.
    for _ in range(100):
        response, _ = await timed_health(api)
        if "followers" in response.json():
            break
        await asyncio.sleep(0.05)
    assert response.json()["status"] == "ok"


async def test_a_scrape_answers_while_the_pool_is_busy(api: Api) -> None:
    """The counters and loops within the bound, the positions as last read, and the gauge
    that says they were not read this time; read again once a connection is free."""
    before, _ = await timed_health(api, "/metrics")
    assert database_read(before) == "1.0"
    async with every_connection_sleeping(api.platform):
        scrape, took = await timed_health(api, "/metrics")
        still_sleeping = api.platform.pool.get_stats()["pool_available"] == 0

    assert took < DATABASE_READ_SECONDS + 1.0, took
    assert still_sleeping
    assert scrape.status_code == 200
    assert database_read(scrape) == "0.0"
    assert "carecoord_store_position" in scrape.text  # as last read
    after, _ = await timed_health(api, "/metrics")
    assert database_read(after) == "1.0"
