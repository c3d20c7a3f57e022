"""Shared fixtures: real PostgreSQL and NATS (the running ones, or embedded), a database and
a stream per platform, and a real HTTP/websocket server for end-to-end tests.

Platforms. ``api`` serves a platform of the test's own (a new database, stream and server,
built from the ``settings`` fixture), unless the test or its module is marked
``shared_platform``: then it is one platform kept for the whole session, and the test's
isolation is the clients it enrolls (new ids every time). Share only what a test does not
read beyond its own clients: a test that reads the whole store, the whole stream, a
program-wide list or a user's caseload, that changes settings, or that alters tables keeps
its own. ``platform`` is always the test's own (no server).

Markers (registered in pyproject.toml). ``live``: the test needs PostgreSQL and NATS; set
here for every test under tests/integration and tests/e2e and for any test that uses the
servers, so ``pytest -m "not live"`` runs the unit layer alone. ``slow``: long runs (fault
injection again and again) left out unless the ``-m`` expression names them, e.g.
``pytest -m slow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nats
import psycopg
import pytest
import uvicorn
from nats.js.errors import NotFoundError
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from carecoord.services.infrastructure.broker import ensure_stream
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.program_day import program_day
from carecoord.services.platform import Platform
from carecoord.services.runtime import embedded, logs
from carecoord.services.runtime.bootstrap import Servers, running
from support import Api

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

TESTS = Path(__file__).parent
LIVE_DIRECTORIES = (TESTS / "integration", TESTS / "e2e")
LIVE_FIXTURES = {"servers", "platform", "api", "shared_server"}
SERVER_START_SECONDS = 10.0


# --- markers ------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        if any(path.is_relative_to(d) for d in LIVE_DIRECTORIES) or LIVE_FIXTURES.intersection(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.live)
    if "slow" in (config.option.markexpr or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


# --- servers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """A command run in-process (``cli.main``) sets up the process's logging as a process of
    its own: the root logger at INFO, with a handler on the stderr pytest captured for that
    test. Later tests in the worker then logged into it ("I/O operation on closed file") and
    their caplog held INFO records they did not cause; a test asserting on the records its
    own calls raised failed in a full run alone."""
    root = logging.getLogger()
    level, hooks = root.level, (sys.excepthook, threading.excepthook)
    quiet = {name: logging.getLogger(name).level for name in logs.NOISY}
    yield
    for handler in root.handlers[:]:
        if isinstance(handler.formatter, logs.JsonFormatter):
            root.removeHandler(handler)
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="carecoord-tests-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def servers(data_dir: Path) -> Iterator[Servers]:
    """DATABASE_URL / NATS_URL when given (CI points them at running servers), else embedded
    ones, stopped here before their data directory goes."""
    with contextlib.ExitStack() as stack:
        database_url = os.environ.get("DATABASE_URL")
        if not database_url:
            postgres = embedded.launch_postgres(data_dir)
            stack.callback(postgres.stop)
            database_url = postgres.url
        nats_url = os.environ.get("NATS_URL")
        if not nats_url:
            nats_server = embedded.start_nats(data_dir)
            stack.callback(nats_server.stop)
            nats_url = nats_server.url
        yield Servers(database_url, nats_url)


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


async def delete_stream(nats_url: str, name: str) -> None:
    """Remove a test's stream, on a connection of its own (the platform's is closed by then:
    a stream deleted under a running platform answers its consumers' pulls with errors)."""
    nc = await nats.connect(nats_url, connect_timeout=SERVER_START_SECONDS)
    try:
        with contextlib.suppress(NotFoundError):
            await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


PROGRAM_ZONES = ("America/Los_Angeles", "Asia/Kolkata")
"""A program behind UTC and one ahead of it: each one's day and UTC's part at other hours."""


@pytest.fixture(params=PROGRAM_ZONES)
def zoned_settings(
    data_dir: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings of a program in each of ``PROGRAM_ZONES``, from the environment as a
    deployment sets it (``CARECOORD_PROGRAM_TIME_ZONE``); a test module takes them as its
    ``settings``."""
    monkeypatch.setenv("CARECOORD_PROGRAM_TIME_ZONE", request.param)
    return isolated_settings(data_dir)


@pytest.fixture
def database(servers: Servers) -> Iterator[str]:
    """A database of the test's own."""
    with fresh_database(servers.database_url) as url:
        yield url


@pytest.fixture
def two_stores(database: str, data_dir: Path) -> Iterator[tuple[EventStore, EventStore]]:
    """Two stores on one database: two API processes writing the same records."""
    env = store_env(isolated_settings(data_dir, database_url=database))
    first, second = EventStore(env=env), EventStore(env=env)
    yield first, second
    first.close()
    second.close()


def isolated_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings whose subjects and stream no other test shares."""
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "subject_root": f"t{tag}",
        "stream_name": f"T{tag}",
        "jwt_secret": "test-secret-test-secret-test-secret!",
        # The stories date orders back to stand for days gone by: the sweep judges their days
        # at once, with no grace for charting an order entered late from paper.
        "missed_dose_charting_grace_days": 0,
    }
    values.update(overrides)
    return Settings(**values)


# --- platforms ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def started(
    settings: Settings,
    servers: Servers,
    *,
    spans: SpanExporter | None = None,
    reads_as_replica: bool = False,
    relay: bool = True,
    project: bool = True,
) -> AsyncIterator[Platform]:
    """A platform on a new database and stream, both removed after it has stopped.

    ``spans``: where its spans go (tracing on); ``reads_as_replica``: its read-model queries
    go through ``read_database_url`` set to the same database, as to a replica; ``relay``,
    ``project``: whether it runs its relay and its projector."""
    with fresh_database(servers.database_url) as url:
        if reads_as_replica:
            settings = settings.model_copy(update={"read_database_url": url})
        try:
            async with running(
                settings, Servers(url, servers.nats_url), spans=spans, relay=relay, project=project
            ) as platform:
                yield platform
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")


class QuietServer(uvicorn.Server):
    """Leaves signals to pytest: Ctrl-C ends the run instead of stopping a server that
    later tests (the shared one) still need."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(platform: Platform) -> AsyncIterator[str]:
    """The platform's GraphQL app on a port of its own; its base URL."""
    from carecoord.graphql.app import create_app
    from carecoord.services.runtime.unread_sockets import ResetWhenUnread

    # Bound here and handed over, so no other process can take the port in between.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = QuietServer(
        uvicorn.Config(create_app(platform), log_config=None, ws=ResetWhenUnread, lifespan="off")
    )
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with asyncio.timeout(SERVER_START_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # raises what stopped it
                    raise RuntimeError("the API server stopped at start")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


@contextlib.asynccontextmanager
async def serving_api(platform: Platform) -> AsyncIterator[Api]:
    """The platform served on a port of its own, and a client of it, closed after."""
    async with serving(platform) as base_url:
        api = Api(platform, base_url)
        try:
            yield api
        finally:
            await api.http.aclose()


@contextlib.asynccontextmanager
async def own_subscriptions_only(platform: Platform, test: str) -> AsyncIterator[None]:
    """Fail a test that leaves a NATS subscription open on the platform's connection.

    Draining the connection at shutdown waits for every subscription's pending messages
    to be taken; a pull subscription left behind (its loop cancelled, a late message or
    status in its queue) makes that wait last the whole drain timeout (30 s). Such a
    subscription is ended here at once and the test reported, so teardown never waits.
    """
    nc = platform.broker.connection
    before = set(nc._subs)  # nats-py lists a connection's subscriptions nowhere public
    yield
    left = [sub for sid, sub in list(nc._subs.items()) if sid not in before]
    for sub in left:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    if left:
        subjects = ", ".join(sorted(sub.subject for sub in left))
        pytest.fail(f"{test} left NATS subscriptions open: {subjects}", pytrace=False)


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir)


# --- the test's clock ---------------------------------------------------------------------


@pytest.fixture
def now() -> datetime:
    """The moment the test starts, in UTC: what it dates its steps from. Taken per test, not
    at import: a run that collects before midnight and runs a test after it would date that
    test's steps on a day the platform has left."""
    return datetime.now(UTC)


@pytest.fixture
def today(now: datetime, settings: Settings) -> date:
    """The program's day as the test starts (``program_time_zone`` of ``settings``, which is
    the shared platform's too): the day the platform judges the test's steps on."""
    return program_day(now, settings.program_time_zone)


@pytest.fixture
async def platform(
    servers: Servers, settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[Platform]:
    """A platform of the test's own (no API server)."""
    async with (
        started(settings, servers) as found,
        own_subscriptions_only(found, request.node.nodeid),
    ):
        yield found


@pytest.fixture
async def unrelayed(servers: Servers, data_dir: Path) -> AsyncIterator[Platform]:
    """A platform without its relay: what it records stays unpublished until a test starts
    one. Its stream is declared, as the relay would, for a test's own messages."""
    async with started(isolated_settings(data_dir), servers, relay=False) as found:
        await ensure_stream(found.broker, found.settings)
        yield found


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Api:
    """The API of the test's own platform, or of the session's when marked shared_platform."""
    if request.node.get_closest_marker("shared_platform") is None:
        found: Api = request.getfixturevalue("own_api")
        return found
    module = getattr(request.node, "module", None)
    if module is not None and "settings" in vars(module):
        raise pytest.UsageError(
            f"{request.node.nodeid}: its module changes `settings`, which the shared "
            "platform does not use; drop the shared_platform mark"
        )
    shared: Api = request.getfixturevalue("shared_api")
    return shared


@pytest.fixture
async def own_api(platform: Platform) -> AsyncIterator[Api]:
    async with serving_api(platform) as client:
        yield client


@pytest.fixture(scope="session")
async def shared_server(servers: Servers, data_dir: Path) -> AsyncIterator[tuple[Platform, str]]:
    """One platform and API server for every test marked shared_platform."""
    async with started(isolated_settings(data_dir), servers) as found, serving(found) as url:
        yield found, url


@pytest.fixture
async def shared_api(
    shared_server: tuple[Platform, str], request: pytest.FixtureRequest
) -> AsyncIterator[Api]:
    found, base_url = shared_server
    client = Api(found, base_url)
    try:
        async with own_subscriptions_only(found, request.node.nodeid):
            yield client
    finally:
        await client.http.aclose()
