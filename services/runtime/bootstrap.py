"""The composition root: every component is built here, from settings, and nowhere else.

``running`` starts what a process needs (the API, the relay, the projector, or all three
in one process) and tears it down in reverse order. Tests and the CLI build the same
graph with different settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faststream.nats import NatsBroker
from nats.errors import ConnectionClosedError, FlushTimeoutError
from nats.errors import Error as NatsError
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from carecoord.projections import dispensing_log, dosing
from carecoord.projections.feed import follow
from carecoord.projections.models import READ_MODELS, names, share
from carecoord.projections.progress import Progress
from carecoord.projections.projector import Projector, version
from carecoord.projections.timeline_feed import TimelineFeed
from carecoord.services.gate.grants import access_change_probe, any_reader_probe
from carecoord.services.gate.suspensions import suspension_probe
from carecoord.services.infrastructure import heartbeats, open_sockets, parked, positions
from carecoord.services.infrastructure.access_log import AccessLog
from carecoord.services.infrastructure.broker import ensure_stream
from carecoord.services.infrastructure.cache_freshness import LOOP as FRESHNESS_LOOP
from carecoord.services.infrastructure.cache_freshness import CacheFreshness
from carecoord.services.infrastructure.chain_anchors import Anchoring
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.doorbell import Doorbell
from carecoord.services.infrastructure.heartbeats import LOOP as HEARTBEAT_LOOP
from carecoord.services.infrastructure.heartbeats import Heartbeat
from carecoord.services.infrastructure.identity import TokenVerifier, key_source, signing_key
from carecoord.services.infrastructure.liveness import (
    BACKOFF_SECONDS,
    Liveness,
    cancel_loops,
    error_code,
    keep_running,
)
from carecoord.services.infrastructure.metrics import Metrics
from carecoord.services.infrastructure.nats_tls import TlsHeldBroker
from carecoord.services.infrastructure.record_watch import RecordWatch
from carecoord.services.infrastructure.relay import NAME as RELAY
from carecoord.services.infrastructure.relay import Relay
from carecoord.services.infrastructure.server_urls import (
    described,
    nats_servers,
    without_credentials,
)
from carecoord.services.infrastructure.settings import PUBLISHER_INBOX, Settings
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.platform import Platform
from carecoord.services.runtime import embedded, missed_sweep, return_sweep
from carecoord.services.runtime.calendars import put_on_calendars
from carecoord.services.runtime.program import load_program
from carecoord.services.runtime.session import Session, attach_or_start

if TYPE_CHECKING:
    from nats.aio.client import Client
    from opentelemetry.sdk.trace.export import SpanExporter

    from carecoord.services.infrastructure.tracing import Tracing

log = logging.getLogger("carecoord")

EXIT_BROKER_GONE = 75  # EX_TEMPFAIL: the supervisor should start the process again
STARTUP_SECONDS = 30.0
BROKER_STOP_SECONDS = 2  # the longest a stop waits on the broker's drain, and on its close
CANCELS = 10  # how often a drain given up is cancelled before it is left to the loop's close


class BrokerUnreachable(RuntimeError):
    """NATS did not answer within the start-up window: the process exits with
    ``EXIT_BROKER_GONE`` for its supervisor, as when a running connection gives up.
    ``server``: the URL tried, its credentials hidden; ``reason``: its last failure."""

    def __init__(self, server: str = "", reason: str = "") -> None:
        super().__init__(f"{server}: {reason}" if server else reason)
        self.server = server
        self.reason = reason


class BrokerStart:
    """What a process says while NATS does not answer as it starts: which server it tries
    (its credentials hidden), why it failed, and for how long it goes on trying. It said
    "broker not ready; trying again" naming neither the server nor the cause, for 30 s, then
    that no server answered, the cause hidden behind the start-up window's timeout."""

    def __init__(self, nats_url: str) -> None:
        self.url = nats_url
        self.server = without_credentials(nats_url)
        self.deadline = time.monotonic() + STARTUP_SECONDS
        self.reason = ""

    def left(self) -> float:
        """Seconds left of the start-up window."""
        return max(self.deadline - time.monotonic(), 0.0)

    def not_ready(self, failure: BaseException, retry_in: float) -> None:
        self.reason = described(failure, self.url)
        log.warning(
            "broker not ready; trying again",
            extra={
                "server": self.server,
                "error": error_code(failure),
                "reason": self.reason,
                "retry_in": retry_in,
                "gives_up_in": round(self.left(), 1),
            },
        )

    def unreachable(self, failure: BaseException) -> BrokerUnreachable:
        """The error to end with: the last failure seen, not the window's own timeout."""
        return BrokerUnreachable(self.server, self.reason or described(failure, self.url))


@dataclass
class Servers:
    database_url: str
    nats_url: str
    nats: embedded.NatsServer | None = None
    runtime: Session | None = None
    """The data directory's embedded runtime, when this process started or attached to it."""

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        elif self.nats is not None:
            self.nats.stop()


PUBLISHERS = frozenset({"up", "relay", "disclose", "tail"})
"""The commands that connect to the broker (``tail`` reads it)."""


DEPLOYED = frozenset({"api", "relay", "project", "disclose"})
"""The commands a deployment runs as its services (``up`` is the development one)."""


class ServersNotConfigured(RuntimeError):
    """A deployed process in production without the servers it needs named."""


def resolve_servers(settings: Settings, command: str = "up") -> Servers:
    """The configured servers; else the embedded ones already running for the data
    directory (services/runtime/session.py); else embedded ones started here, which stop with
    this process. A command that never connects to the broker (the API, the projector, a
    rebuild) with DATABASE_URL set needs nothing embedded: it started a nats-server of its
    own under the data directory when NATS_URL was unset, as a deployment leaves it. In
    production a deployed process starts none: one whose DATABASE_URL was lost kept the
    clinic's records in an embedded PostgreSQL under its data directory, and a relay whose
    NATS_URL was lost published to a nats-server of its own that no subscriber reads."""
    if settings.database_url and (settings.nats_url or command not in PUBLISHERS):
        return Servers(settings.database_url, settings.nats_url or "")
    if settings.environment == "production" and command in DEPLOYED:
        needed = [("DATABASE_URL", settings.database_url), ("NATS_URL", settings.nats_url)]
        missing = " and ".join(name for name, value in needed if not value)
        raise ServersNotConfigured(
            f"carecoord {command} in production starts no embedded server: set {missing}"
            " (`carecoord up` runs embedded ones, for development)"
        )
    session = attach_or_start(
        settings.data_dir,
        command,
        database_url=settings.database_url,
        nats_url=settings.nats_url,
    )
    return Servers(session.database_url, session.nats_url, runtime=session)


def token_verifier(settings: Settings) -> TokenVerifier:
    """Keys from a JWKS when one is configured; otherwise the shared HS256 secret."""
    keys = key_source()
    secret = None if keys.jwks_file or keys.jwks_url else signing_key(settings)
    return TokenVerifier(settings, keys, secret)


async def connect_broker(
    settings: Settings, nats_url: str, on_gone: Callable[[], None], *, stream: bool = True
) -> NatsBroker:
    """The broker, connected and (``stream``: the relay's) its stream in place; tried again
    for a while when NATS is not there yet (a deployment starts its servers and our
    processes together). A disclosure forwarder publishes outside the stream, so it asks
    JetStream nothing: its NATS user (deploy/nats.conf) may not."""

    async def closed() -> None:
        on_gone()

    start = BrokerStart(nats_url)
    starting = True

    async def failed(error: Exception) -> None:
        """The client's own retries at start-up (with a budget of -1 it never stops them,
        and its first connect does not return until one succeeds)."""
        if starting:
            start.not_ready(error, settings.nats_reconnect_wait_seconds)

    broker = TlsHeldBroker(
        nats_servers(nats_url),
        logger=None,
        max_reconnect_attempts=settings.nats_reconnect_attempts,
        reconnect_time_wait=settings.nats_reconnect_wait_seconds,  # type: ignore[arg-type]
        closed_cb=closed,
        error_cb=failed,
        inbox_prefix=PUBLISHER_INBOX,
    )
    for pause in itertools.chain(BACKOFF_SECONDS, itertools.repeat(BACKOFF_SECONDS[-1])):
        try:
            async with asyncio.timeout(start.left()):
                await broker.connect()
                if stream:
                    await ensure_stream(broker, settings)
        except (OSError, TimeoutError, NatsError) as failure:
            if pause > start.left():
                unreachable = start.unreachable(failure)
                # As when a running connection gives up: the supervisor starts it again.
                log.critical(
                    "the broker was not reachable at start-up; exiting for a restart",
                    extra={
                        "code": "BROKER_UNREACHABLE",
                        "server": unreachable.server,
                        "error": error_code(failure),
                        "reason": unreachable.reason,
                        "exit_status": EXIT_BROKER_GONE,
                    },
                )
                raise unreachable from failure
            start.not_ready(failure, pause)
            await asyncio.sleep(pause)
        else:
            break
    starting = False
    return broker


Configure = Callable[[AsyncConnection], Awaitable[None]]


def statement_bound(settings: Settings) -> Configure:
    """Each connection of a pool serving requests stops a statement at
    ``api_statement_timeout_seconds``, a wait for a lock included: a read behind a lock (an
    operator's LOCK TABLE, a long migration, a transaction left open) hung for as long as
    the lock was held, and its request and connection with it, long after the client gave
    up. Set once, as the pool opens each connection."""
    milliseconds = str(max(1, round(settings.api_statement_timeout_seconds * 1000)))

    async def configure(conn: AsyncConnection) -> None:
        await conn.execute("SELECT set_config('statement_timeout', %s, false)", (milliseconds,))
        await conn.commit()

    return configure


UNBOUND = "-c statement_timeout=0"


def statements_unbound() -> None:
    """Every connection the process opens runs its statements to their end, as pg_dump's
    do: a ``statement_timeout`` set on the database or the role (for an application's
    reads) stopped a rebuild, an export or the projector partway, and said the database
    could not be reached. A pool serving requests sets its own bound over it
    (``statement_bound``), and one given in ``PGOPTIONS`` by the operator is kept."""
    given = os.environ.get("PGOPTIONS", "")
    if "statement_timeout" not in given:
        os.environ["PGOPTIONS"] = f"{given} {UNBOUND}".strip()


async def replica_pool(
    settings: Settings, configure: Configure | None = None
) -> AsyncConnectionPool | None:
    """The streaming replica's pool, open, when one is configured."""
    if not settings.read_database_url:
        return None
    return await opened(settings.read_database_url, settings, configure)


async def read_pools(
    settings: Settings, database_url: str, *, serve: bool
) -> tuple[AsyncConnectionPool | None, AsyncConnectionPool | None]:
    """The replica's pool, when one is configured, and the primary's for requests, in a
    process that serves them; a serving process's are bound (``statement_bound``)."""
    bound = statement_bound(settings) if serve else None
    replica = await replica_pool(settings, bound)
    try:
        return replica, None if bound is None else await opened(database_url, settings, bound)
    except BaseException:  # cut short: the replica's pool is not left open
        if replica is not None:
            await replica.close()
        raise


async def opened(
    conninfo: str, settings: Settings, configure: Configure | None
) -> AsyncConnectionPool:
    found = AsyncConnectionPool(
        conninfo, min_size=1, max_size=settings.db_pool_size, configure=configure, open=False
    )
    try:
        await found.open(wait=True)
    except BaseException:  # cut short: its workers would keep the process from ending
        await found.close()
        raise
    return found


def projector_name(projector_share: str) -> str:
    """The projector's loop, as logs and /health name it: a share's says which it is, or two
    processes sharing the models read as one."""
    return "projections" if projector_share == "1/1" else f"projections {projector_share}"


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    servers: Servers,
    *,
    relay: bool = True,
    project: bool = True,
    serve: bool = True,
    publish: bool = True,
    spans: SpanExporter | None = None,
) -> AsyncIterator[Platform]:
    """``serve``: the process answers requests, whose reads get a pool of their own on the
    primary beside ``pool`` (which the projector, the relay, the access log and the tools
    use unbound), and the replica's, each statement bound (``statement_bound``).
    ``publish``: the process connects to the broker (the relay, a disclosure forwarder). An
    API or a projector alone reads and writes the store only, so it starts and goes on
    while NATS is down, where it waited for it and exited 75 with it: an API restarted in a
    broker outage took no command until the broker was back. ``spans``: where spans go,
    whatever ``settings.tracing`` says (tests)."""
    program = load_program(settings.program_file)  # a bad file stops the start, naming the key
    tracing = start_tracing(settings, spans)
    async with contextlib.AsyncExitStack() as undo:
        # A start cut short (Ctrl-C, SIGTERM, a failure) stops what it had started, newest
        # first: a pool left open kept workers that take a cancel for a failed connection and
        # try again, and the process never ended.
        if tracing is not None:
            undo.push_async_callback(asyncio.to_thread, tracing.shutdown)
        store = EventStore(
            env=store_env(settings.model_copy(update={"database_url": servers.database_url}))
        )
        undo.callback(store.close)
        pool = AsyncConnectionPool(
            servers.database_url,
            min_size=2,
            max_size=settings.db_pool_size,
            open=False,
        )
        undo.push_async_callback(pool.close)
        await pool.open(wait=True)
        await positions.ensure_table(pool, parked.DDL, heartbeats.DDL, *open_sockets.DDL)
        liveness = Liveness(stuck_after=settings.loop_stuck_seconds)
        replica, requests = await read_pools(settings, servers.database_url, serve=serve)
        undo.push_async_callback(close_pools, replica, requests)

        async def drop_dead_connections() -> None:
            await pool.check()
            for other in (replica, requests):
                if other is not None:
                    await other.check()
            await asyncio.to_thread(store.drop_dead_connections)

        progress = Progress(
            servers.database_url,
            names(),
            liveness,
            drop_dead_connections,
            replica=replica,
            derived={model.NAME: version(model) for model in READ_MODELS},
        )
        fatal: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        broker = None
        if publish or relay:
            broker = await connect_broker(settings, servers.nats_url, ending(fatal), stream=relay)
            undo.push_async_callback(stop_broker, broker, fatal)
        metrics = Metrics()
        projector = Projector(
            pool,
            share(settings.projector_share),
            on_projected=progress.advance,
            name=projector_name(settings.projector_share),
            on_applied=metrics.events_applied,
        )
        # Every process, not only the projector: the API reads (and the write gate checks)
        # the views from its first request on, whichever process happened to start first.
        await Projector(pool, READ_MODELS).setup(only_missing=not project)
        if broker is not None:
            await broker.start()
        undo.push_async_callback(progress.stop)
        await progress.start()
        doorbell = Doorbell(servers.database_url, store.channel, rung_by=store.own_backends)
        the_relay = (
            Relay(
                store,
                broker,
                pool,
                settings,
                doorbell,
                liveness,
                on_published=metrics.events_published,
                tracing=tracing,
            )
            if broker is not None and relay
            else None
        )
        bus = CommandBus(
            store,
            batch_max=settings.command_batch_max,
            on_commit=doorbell.ring,
            on_done=metrics.command_done,
            tracing=tracing,
        )
        undo.callback(bus.close)
        metrics.failed_saves.set_function(lambda: bus.conflicts)
        platform = Platform(
            settings,
            servers.database_url,
            store,
            bus,
            pool,
            broker,
            progress,
            token_verifier(settings),
            AccessLog(pool, flush=settings.access_log_flush, liveness=liveness),
            liveness,
            fatal,
            TimelineFeed(
                pool,
                progress,
                liveness,
                any_reader_probe(
                    access_changes := access_change_probe(pool, store.recorder.events_table_name)  # type: ignore[attr-defined]
                ),
            ),
            access_changes,
            the_relay,
            alert_rules=program.alerts.table_for(settings),
            medication=program.medication.rules(settings),
            metrics=metrics,
            tracing=tracing,
            replica=replica,
            requests=requests,
            suspensions=(suspensions := suspension_probe(pool, store)),
            suspended=RecordWatch(doorbell, suspensions),
        )
        undo.push_async_callback(platform.timelines.stop)
        undo.push_async_callback(cancel_loops, platform.tasks)

        await _start_loops(platform, doorbell, projector, project=project)
        stop_if_cancelled()
        undo.pop_all()  # started: _stopped stops it all from here
    try:
        yield platform
    finally:
        await _stopped(platform)


def ending(fatal: asyncio.Future[int]) -> Callable[[], None]:
    """What a broker connection that gave up reconnecting does: end the process with 75."""

    def broker_gone() -> None:
        if not fatal.done():  # done or cancelled once this process stops on its own
            log.critical(
                "the broker connection gave up reconnecting; exiting for a restart",
                extra={"code": "BROKER_GONE", "exit_status": EXIT_BROKER_GONE},
            )
            fatal.set_result(EXIT_BROKER_GONE)

    return broker_gone


async def close_pools(*pools: AsyncConnectionPool | None) -> None:
    """Close each pool given; None stands for one this process does not keep."""
    for pool in pools:
        if pool is not None:
            await pool.close()


def stop_if_cancelled() -> None:
    """Raise the cancel a driver took during the start: Python 3.11's ``asyncio.wait_for``
    returns its result when it completes as the cancel arrives, and drops the cancel, so a
    Ctrl-C as ``up`` started was lost and the process went on to serve."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_broker(
    broker: NatsBroker, fatal: asyncio.Future[int], *, within: int = BROKER_STOP_SECONDS
) -> None:
    """Drain and close the broker; one that gave up or is reconnecting has nothing to drain.
    ``fatal`` is cancelled first: closed on purpose, it is no broker lost (a start cut short
    logged BROKER_GONE, exit 75, of a process then stopped as asked, exit 0).

    A server that holds the connection but answers nothing (hung, or its host frozen) is
    closed without a drain, and each step is bounded by ``within`` seconds: the NATS client's
    own drain waits on it for a flush of ten seconds per subscription and ten more for the
    connection, so a stop took over twenty seconds where a service manager waits for a few.
    Nothing is lost by it: the relay records its position only for what the broker confirmed,
    and publishes the rest again after a restart under the same message ids (the broker
    drops a copy it holds)."""
    fatal.cancel()
    connection = broker._connection  # the client, None once stopped
    if (
        connection is not None
        and connection.is_connected
        and not await _answers(connection, within)
    ):
        log.warning("broker not drained at shutdown", extra={"error": "BROKER_NOT_ANSWERING"})
        await _within(asyncio.ensure_future(connection.close()), within)
    await _within(asyncio.ensure_future(_drained(broker)), within)


async def _answers(connection: Client, within: int) -> bool:
    """Whether the server answers a ping within ``within`` seconds."""
    try:
        await connection.flush(timeout=within)
    except FlushTimeoutError:
        return False
    except NatsError:  # closed or reconnecting meanwhile: the drain says what it is
        pass
    return True


async def _drained(broker: NatsBroker) -> None:
    try:
        await broker.stop()
    except ConnectionClosedError:  # it gave up: nothing to drain
        pass
    except NatsError as failed:  # reconnecting, the broker down: nothing to drain; close it
        log.warning("broker not drained at shutdown", extra={"error": error_code(failed)})
        with contextlib.suppress(NatsError):
            await broker.connection.close()


async def _within(work: asyncio.Future[None], seconds: float) -> bool:
    """Whether ``work`` ended within ``seconds``; if not, it is cancelled until it ends (the
    NATS client swallows one cancel of a drain and goes on to flush), so no task is left to
    hold the event loop's own close."""
    done, _ = await asyncio.wait({work}, timeout=seconds)
    if done:
        work.result()
        return True
    for _ in range(CANCELS):
        if work.done():
            break
        work.cancel()
        await asyncio.wait({work}, timeout=0.1)
    return False


async def _start_loops(
    platform: Platform, doorbell: Doorbell, projector: Projector, *, project: bool
) -> None:
    """The process's loops, each a task of ``platform.tasks``; what a deciding process does
    before its first decision comes first."""

    def start(name: str, work: Coroutine[Any, Any, None]) -> None:
        platform.tasks.append(asyncio.create_task(work, name=name))

    settings, liveness, relay = platform.settings, platform.liveness, platform.relay
    start("access-log", platform.access_log.run())
    if project or relay is None:  # the processes that decide: the API's, the projector's
        await _before_deciding(platform, start)
    # Every process listens: the API's for its open sockets, whose users a suspension
    # recorded anywhere must reach at once (``services/gate/suspensions.py``).
    start("store-listener", doorbell.run(liveness))
    if relay is not None:
        start("relay", relay.run())
        # and anchors the event chain outside the database, one process per deployment
        start("chain-anchors", Anchoring(platform.pool, platform.broker, settings, liveness).run())
    if project:
        start(
            projector.name,
            follow(platform.store, projector, doorbell, liveness, settings, platform.tracing),
        )
    followers = [n for n, runs in ((RELAY, relay is not None), (projector.name, project)) if runs]
    if followers:
        platform.heartbeat = Heartbeat(
            platform.pool, followers, liveness, settings.follower_silent_seconds
        )
        start(HEARTBEAT_LOOP, platform.heartbeat.run())
    if project and dosing in projector.models:
        # medication: the missed-dose sweep reads a read model this process keeps
        start(
            "missed-dose-sweep",
            keep_running(
                "missed-dose-sweep",
                lambda: missed_sweep.run(platform, settings),
                liveness,
            ),
        )
    if project and dispensing_log in projector.models:
        # medication: the unwitnessed-return sweep reads the dispensing log this process keeps
        start(
            "unwitnessed-return-sweep",
            keep_running(
                "unwitnessed-return-sweep",
                lambda: return_sweep.run(platform, settings),
                liveness,
            ),
        )


async def _before_deciding(
    platform: Platform, start: Callable[[str, Coroutine[Any, Any, None]], None]
) -> None:
    """What a process that decides does before the bus's first decision: it hears what other
    processes write from then on, and every session booked before calendars were kept is on
    its leader's calendar, holding their time as a session booked since does."""
    start(
        FRESHNESS_LOOP,
        CacheFreshness(platform.store, platform.database_url).run(platform.liveness),
    )
    await put_on_calendars(platform.store, platform.bus, platform.database_url)


async def _stopped(platform: Platform) -> None:
    """Stop what ``running`` started, the loops first, then what they used."""
    platform.fatal.cancel()
    await cancel_loops(platform.tasks)
    if platform.heartbeat is not None:
        await platform.heartbeat.stopped()
    await platform.timelines.stop()
    if platform.suspended is not None:
        await platform.suspended.stop()
    await platform.progress.stop()
    if platform.publisher is not None:
        await stop_broker(platform.publisher, platform.fatal)
    platform.bus.close()
    await close_pools(platform.replica, platform.requests, platform.pool)
    platform.store.close()
    if platform.tracing is not None:
        await asyncio.to_thread(platform.tracing.shutdown)  # sends the spans still waiting


def start_tracing(settings: Settings, spans: SpanExporter | None = None) -> Tracing | None:
    """Tracing as the settings say; None when off, and OpenTelemetry is not even imported."""
    if settings.tracing == "off" and spans is None:
        return None
    from carecoord.services.infrastructure.tracing import Tracing  # noqa: PLC0415  (see above)

    return Tracing.start(settings.tracing, spans)
