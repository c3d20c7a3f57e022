"""Shared fixtures: real PostgreSQL and NATS (the running ones, or embedded), a fresh
database and stream per platform, and a real HTTP/websocket server for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from carecoord.services import embedded
from carecoord.services.bootstrap import Platform, Servers, running
from carecoord.services.embedded import free_port
from carecoord.services.settings import Settings
from support import Api


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="carecoord-tests-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def servers(data_dir: Path) -> Iterator[Servers]:
    """DATABASE_URL / NATS_URL when given (CI points them at running servers), else embedded."""
    database_url = os.environ.get("DATABASE_URL") or embedded.start_postgres(data_dir)
    nats = None
    nats_url = os.environ.get("NATS_URL")
    if not nats_url:
        nats = embedded.start_nats(data_dir)
        nats_url = nats.url
    found = Servers(database_url, nats_url, nats)
    yield found
    found.stop()


def database_url_for(base: str, name: str) -> str:
    info = conninfo_to_dict(base)
    info["dbname"] = name
    return make_conninfo("", **{k: v for k, v in info.items() if v is not None})


@contextlib.contextmanager
def fresh_database(base: str) -> Iterator[str]:
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url_for(base, name)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def isolated_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings whose subjects and stream no other test shares."""
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "subject_root": f"t{tag}",
        "stream_name": f"T{tag}",
        "jwt_secret": "test-secret-test-secret-test-secret!",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir)


@pytest.fixture
async def platform(servers: Servers, settings: Settings) -> AsyncIterator[Platform]:
    with fresh_database(servers.database_url) as url:
        async with running(settings, Servers(url, servers.nats_url)) as started:
            yield started
            js = started.broker.connection.jetstream()
            with contextlib.suppress(Exception):
                await js.delete_stream(settings.stream_name)


@pytest.fixture
async def api(platform: Platform) -> AsyncIterator[Api]:
    from carecoord.graphql.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(platform),
            host="127.0.0.1",
            port=port,
            log_config=None,
            ws="websockets-sansio",
            lifespan="off",
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    client = Api(platform, f"http://127.0.0.1:{port}")
    yield client
    await client.http.aclose()
    server.should_exit = True
    await task
