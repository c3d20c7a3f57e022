"""`carecoord api` stopped (SIGTERM) with a mutation in flight: the mutation has its answer,
a retryable UNAVAILABLE (rule ``api-stopping``) when it outlives the stop's wait, and no
request runs as the platform under it closes (it answered a bare 500, and one caught
between the two a ``PoolClosed`` internal error); a request arriving once the stop began is
answered the same (graphql/in_flight.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
from conftest import fresh_database, isolated_settings
from test_api_workers import ENROLL, healthy

from carecoord.events import Role
from carecoord.graphql.in_flight import RULE, InFlight
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.runtime.bootstrap import Servers
from carecoord.services.runtime.embedded import free_port

HELD = "LOCK TABLE carecoord_events IN EXCLUSIVE MODE"
"""The store's table held, as a long migration holds it: a mutation's commit waits."""


async def waiting_on_the_lock(database_url: str) -> None:
    """Until a backend of the API waits on the held table: its mutation is in flight."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
    )
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while True:
            row = await (await conn.execute(query)).fetchone()
            if row and row[0]:
                return
            await asyncio.sleep(0.05)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE", "field": "", "rule": RULE}
    assert response.headers["retry-after"] == "1"


async def test_a_mutation_in_flight_at_a_stop_is_answered_unavailable(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir)
    port = free_port()
    with fresh_database(servers.database_url) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "NATS_URL": servers.nats_url,
            "CARECOORD_JWT_SECRET": settings.jwt_secret or "",
            "CARECOORD_PORT": str(port),
            "CARECOORD_DATA_DIR": str(data_dir),
        }
        log = data_dir / f"api-stop-{port}.log"
        with log.open("wb") as out:
            api = subprocess.Popen(  # noqa: ASYNC220  (starting, not waiting)
                [sys.executable, "-m", "carecoord.services.runtime.cli", "api"],
                env=env,
                stdout=out,
                stderr=out,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            await healthy(url)
            token = issue_token(settings, "admin-1", Role.PROGRAM_ADMIN)
            async with (
                httpx.AsyncClient(base_url=url, timeout=30) as client,
                await psycopg.AsyncConnection.connect(database_url) as holder,
            ):
                await holder.execute(HELD)
                mutation = asyncio.create_task(
                    client.post(
                        "/graphql",
                        json={
                            "query": ENROLL,
                            "variables": {"i": {"displayName": "S. Top", "program": "OTP"}},
                        },
                        headers={"Authorization": f"Bearer {token}"},
                    )
                )
                await waiting_on_the_lock(database_url)
                api.send_signal(signal.SIGTERM)
                assert_unavailable(await mutation)
                await holder.rollback()
            assert await asyncio.to_thread(api.wait, 30) == 0
        finally:
            if api.poll() is None:
                api.kill()
                api.wait()
    said = log.read_text(errors="replace")
    for failure in ("Exception in ASGI", "internal error", "PoolClosed"):
        assert failure not in said, said[-3000:]


async def test_a_request_arriving_once_a_stop_began_is_answered_unavailable() -> None:
    async def never(scope: object, receive: object, send: object) -> None:
        raise AssertionError("a request ran after the stop began")

    requests = InFlight(never)
    requests.close()
    transport = httpx.ASGITransport(app=requests)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        assert_unavailable(await client.post("/graphql", json={"query": "{ __typename }"}))
