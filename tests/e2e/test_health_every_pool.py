"""/health and /metrics look at every connection pool of the process, each named by its label:
the API's bound reads on the primary (``requests``), the replica's, the event store's writer
(``store``) besides the process's own. Only the process's pool was looked at, so an API whose
every read waited for a connection of an exhausted read pool answered ``ok``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import isolated_settings, serving_api, started
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from carecoord.graphql.status import DATABASE_ANSWER_SECONDS
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.bootstrap import Servers
from support import Api

POOL = 2
ANSWERED_WITHIN = DATABASE_ANSWER_SECONDS + 1.0  # the bound, and an HTTP round trip's slack


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, db_pool_size=POOL)


@contextlib.asynccontextmanager
async def all_checked_out(pool: AsyncConnectionPool) -> AsyncIterator[None]:
    """Every connection of ``pool`` out, as on long requests, until the block ends."""
    async with contextlib.AsyncExitStack() as held:
        for _ in range(pool.max_size):
            await held.enter_async_context(pool.connection(timeout=10))
        assert pool.get_stats()["pool_available"] == 0
        yield


@contextlib.contextmanager
def store_checked_out(pool: ConnectionPool) -> Iterator[None]:
    """Every connection of the event store's pool (its writer's) out."""
    taken = [pool.getconn(timeout=10) for _ in range(pool.max_size)]
    try:
        yield
    finally:
        for conn in taken:
            pool.putconn(conn)


async def timed(api: Api, path: str = "/health") -> tuple[httpx.Response, float]:
    started_at = time.monotonic()
    response = await api.health(path, timeout=30, headers={"connection": "close"})
    return response, time.monotonic() - started_at


def gauge(scrape: httpx.Response, name: str, pool: str) -> float:
    [line] = (s for s in scrape.text.splitlines() if s.startswith(f'{name}{{pool="{pool}"}}'))
    return float(line.split()[-1])


async def test_an_exhausted_read_pool_is_busy_naming_it(api: Api) -> None:
    ok, _ = await timed(api)
    body = ok.json()
    assert (ok.status_code, body["status"]) == (200, "ok"), body
    assert "busyPools" not in body
    assert set(body["pools"]) == {"process", "requests", "store"}
    assert body["pools"]["requests"]["max"] == POOL

    requests = api.platform.requests
    assert requests is not None
    async with all_checked_out(requests):
        response, took = await timed(api)
        scrape, _ = await timed(api, "/metrics")
        # A read queued behind them: answered at once, busy, not after its wait.
        waiting = asyncio.create_task(requests.getconn(timeout=10))
        for _ in range(100):
            if requests.get_stats().get("requests_waiting"):
                break
            await asyncio.sleep(0.01)
        queued, queued_took = await timed(api)
        queued_scrape, _ = await timed(api, "/metrics")
    conn = await waiting
    await requests.putconn(conn)

    assert took < ANSWERED_WITHIN, took
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert (body["busy"], body["busyPools"]) == (["database"], ["requests"])
    assert body["pools"]["requests"]["available"] == 0
    assert "followers" in body  # the process's own pool read the positions
    assert queued_took < ANSWERED_WITHIN, queued_took
    assert queued.json()["busyPools"] == ["requests"]
    # The read, and a /health ask given up on (psycopg_pool counts it until a connection
    # comes back).
    assert gauge(queued_scrape, "carecoord_db_pool_waiting_requests", "requests") >= 1

    assert gauge(scrape, "carecoord_db_pool_available_connections", "requests") == 0
    assert gauge(scrape, "carecoord_db_pool_connections", "requests") == POOL
    assert gauge(scrape, "carecoord_db_pool_max_connections", "process") == POOL
    assert gauge(scrape, "carecoord_db_pool_waiting_requests", "store") == 0

    after, _ = await timed(api)
    assert after.json()["status"] == "ok"
    assert "busyPools" not in after.json()


async def test_an_exhausted_store_pool_is_busy_naming_it(api: Api) -> None:
    store = api.platform.store.pool
    with store_checked_out(store):
        response, took = await timed(api)
        scrape, _ = await timed(api, "/metrics")
    assert took < ANSWERED_WITHIN, took
    body = response.json()
    assert (response.status_code, body["status"]) == (200, "degraded"), body
    assert body["busyPools"] == ["store"]
    assert body["pools"]["store"]["available"] == 0
    assert gauge(scrape, "carecoord_db_pool_available_connections", "store") == 0
    assert (await timed(api))[0].json()["status"] == "ok"


async def test_an_exhausted_replica_pool_is_busy_naming_it(
    servers: Servers, settings: Settings
) -> None:
    async with (
        started(settings, servers, reads_as_replica=True) as platform,
        serving_api(platform) as api,
    ):
        replica = platform.replica
        assert replica is not None
        assert "replica" in (await timed(api))[0].json()["pools"]
        async with all_checked_out(replica):
            response, took = await timed(api)
            scrape, _ = await timed(api, "/metrics")
        assert took < ANSWERED_WITHIN, took
        assert response.json()["busyPools"] == ["replica"]
        assert gauge(scrape, "carecoord_db_pool_available_connections", "replica") == 0
