"""The composition root: every component is built here, from settings, and nowhere else.

``running`` starts what a process needs (the API, the relay, the projector, or all three
in one process) and tears it down in reverse order. Tests and the CLI build the same
graph with different settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.consumer import follow
from carecoord.projections.models import READ_MODELS, names
from carecoord.projections.progress import Progress
from carecoord.projections.projector import Projector
from carecoord.services import embedded, positions
from carecoord.services.access_log import AccessLog
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.broker import ensure_stream
from carecoord.services.commands import CommandBus
from carecoord.services.identity import KeySource, TokenVerifier, signing_key
from carecoord.services.medication import missed_sweep
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules
from carecoord.services.program import load_program
from carecoord.services.relay import Relay
from carecoord.services.remembered import Grants, Memberships
from carecoord.services.settings import Settings
from carecoord.services.store import EventStore, store_env

log = logging.getLogger("carecoord")


@dataclass
class Servers:
    database_url: str
    nats_url: str
    nats: embedded.NatsServer | None = None

    def stop(self) -> None:
        if self.nats is not None:
            self.nats.stop()


def resolve_servers(settings: Settings) -> Servers:
    """The configured servers, or embedded ones started under the data directory."""
    database_url = settings.database_url or embedded.start_postgres(settings.data_dir)
    if settings.nats_url:
        return Servers(database_url, settings.nats_url)
    nats = embedded.start_nats(settings.data_dir)
    return Servers(database_url, nats.url, nats)


@dataclass
class Platform:
    settings: Settings
    database_url: str
    store: EventStore
    bus: CommandBus
    pool: AsyncConnectionPool
    broker: NatsBroker
    progress: Progress
    verifier: TokenVerifier
    access_log: AccessLog
    relay: Relay | None = None
    memberships: Memberships = field(default_factory=Memberships)
    """Care-team memberships the write gate confirmed since the view last changed."""
    grants: Grants = field(default_factory=Grants)
    """Read grants decided since the access views last changed."""
    alert_rules: AlertRules = DEFAULT_ALERT_RULES
    """The program's alert rule table (defaults changed by the program file's [alerts])."""
    medication: MedicationRules = DEFAULT_RULES
    """The program's medication tables and time zone (settings and the file's [medication])."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def token_verifier(settings: Settings) -> TokenVerifier:
    """Keys from a JWKS when one is configured; otherwise the shared HS256 secret."""
    keys = KeySource()
    secret = None if keys.jwks_file or keys.jwks_url else signing_key(settings)
    return TokenVerifier(settings, keys, secret)


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    servers: Servers,
    *,
    relay: bool = True,
    project: bool = True,
) -> AsyncIterator[Platform]:
    program = load_program(settings.program_file)  # a bad file stops the start, naming the key
    store = EventStore(
        env=store_env(settings.model_copy(update={"database_url": servers.database_url}))
    )
    pool = AsyncConnectionPool(
        servers.database_url, min_size=2, max_size=settings.db_pool_size, open=False
    )
    await pool.open(wait=True)
    await positions.ensure_table(pool)
    progress = Progress(servers.database_url, names())
    broker = NatsBroker(servers.nats_url, logger=None)
    await broker.connect()
    await ensure_stream(broker, settings)
    projector = Projector(pool, READ_MODELS, on_projected=progress.advance)
    # Every process, not only the projector: the API reads (and the write gate checks) the
    # views from its first request on, whichever process happened to start first.
    await projector.setup(only_missing=not project)
    await broker.start()
    await progress.start()
    the_relay = Relay(store, broker, pool, settings, servers.database_url) if relay else None
    bus = CommandBus(
        store,
        batch_max=settings.command_batch_max,
        on_commit=the_relay.notify_commit if the_relay else None,
    )
    platform = Platform(
        settings,
        servers.database_url,
        store,
        bus,
        pool,
        broker,
        progress,
        token_verifier(settings),
        AccessLog(pool),
        the_relay,
        alert_rules=program.alerts.table,
        medication=program.medication.rules(settings),
    )
    platform.tasks.append(asyncio.create_task(platform.access_log.run(), name="access-log"))
    if the_relay is not None:
        platform.tasks.append(asyncio.create_task(the_relay.run(), name="relay"))
    if project:
        platform.tasks.append(
            asyncio.create_task(follow(broker, projector, settings), name=projector.name)
        )
        # medication: the missed-dose sweep reads a read model this process keeps
        platform.tasks.append(
            asyncio.create_task(
                missed_sweep.run(bus, pool, platform.medication, settings),
                name="missed-dose-sweep",
            )
        )
    try:
        yield platform
    finally:
        for task in platform.tasks:
            task.cancel()
        for task in platform.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await progress.stop()
        await broker.stop()
        bus.close()
        await pool.close()
        store.close()
