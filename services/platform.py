"""The components one process runs with, built by the composition root
(services/runtime/bootstrap.py) and used by the API and the tools."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from faststream.nats import NatsBroker
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.alerts import Raised
from carecoord.projections.progress import Progress
from carecoord.projections.timeline_feed import TimelineFeed
from carecoord.projections.timeline_pages import TimelinePages
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.infrastructure.access_log import AccessLog
from carecoord.services.infrastructure.coalesced import Coalesced
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.heartbeats import Heartbeat
from carecoord.services.infrastructure.identity import TokenVerifier
from carecoord.services.infrastructure.liveness import (
    Liveness,
)
from carecoord.services.infrastructure.metrics import Metrics
from carecoord.services.infrastructure.record_watch import Named, RecordWatch
from carecoord.services.infrastructure.relay import Relay
from carecoord.services.infrastructure.remembered import Grants, Memberships
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules

if TYPE_CHECKING:
    from carecoord.services.infrastructure.tracing import Tracing


@dataclass
class Platform:
    settings: Settings
    database_url: str
    store: EventStore
    bus: CommandBus
    pool: AsyncConnectionPool
    publisher: NatsBroker | None
    """The broker, in a process that publishes (``bootstrap.running``'s ``publish``)."""
    progress: Progress
    verifier: TokenVerifier
    access_log: AccessLog
    liveness: Liveness
    """How each long-running loop of this process is doing (``/health``)."""
    fatal: asyncio.Future[int]
    """Set to an exit status when the process cannot go on (its broker connection gave up)."""
    timelines: TimelineFeed
    """What the timeline view gains, for this process's open subscriptions."""
    access_changes: Coalesced[UUID, int]
    """The store's newest access change of some records (``services/gate/grants.py``),
    asked on the primary, one statement for the decisions that wait together."""
    relay: Relay | None = None
    memberships: Memberships = field(default_factory=Memberships)
    """Care-team memberships the write gate confirmed since the view last changed."""
    grants: Grants = field(default_factory=Grants)
    """Read grants decided since the access views last changed."""
    timeline_pages: TimelinePages = field(default_factory=TimelinePages)
    """Timeline pages read since the timeline view last moved on."""
    raised_alerts: Raised = field(default_factory=Raised)
    """The alerts raised, as this process's caseload subscriptions read them together."""
    alert_rules: AlertRules = DEFAULT_ALERT_RULES
    """The program's alert rule table (defaults changed by the program file's [alerts]), on
    the program's days (``program_time_zone``, as ``medication``)."""
    medication: MedicationRules = DEFAULT_RULES
    """The program's medication tables and time zone (settings and the file's [medication])."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    """This process's Prometheus metrics (``services/infrastructure/metrics.py``, ``GET
    /metrics``)."""
    tracing: Tracing | None = None
    """Where this process's spans go; None (the default) when tracing is off."""
    replica: AsyncConnectionPool | None = None
    """A streaming replica's pool (``read_database_url``), when one is configured."""
    requests: AsyncConnectionPool | None = None
    """The primary's pool for the API's reads, each statement bound
    (``api_statement_timeout_seconds``), in a process that serves requests."""
    suspensions: Coalesced[UUID, Named] | None = None
    """Which users' access records end in a suspension, asked of the store on the primary
    (``services/gate/suspensions.py``); None only where nothing is decided for a request."""
    heartbeat: Heartbeat | None = None
    """The beats of this process's relay and projector, in a process that runs either."""
    suspended: RecordWatch | None = None
    """Which users of the process's open sockets are suspended (their ``access_record``),
    asked at every commit of any process."""

    @property
    def broker(self) -> NatsBroker:
        """The broker of a process that publishes; asked in one that does not (an API or a
        projector alone), a mistake in the code that asked."""
        if self.publisher is None:
            raise RuntimeError("this process was started without the broker (publish=False)")
        return self.publisher

    @property
    def reads(self) -> AsyncConnectionPool:
        """Where the API's read-model queries go: the replica when there is one, else
        ``primary_reads``. Whoever reads here first lets ``progress.reach`` the position it
        needs (it waits for the replica too); writes, the store, the access-change probe and
        subscriptions use ``pool``."""
        return self.primary_reads if self.replica is None else self.replica

    @property
    def primary_reads(self) -> AsyncConnectionPool:
        """Where the API's reads that must see the primary go (the stock ledger, the
        dispensing sites, the alerts a caseload subscription follows): ``requests``, bound,
        in a process serving requests, else ``pool`` (a tool's)."""
        return self.pool if self.requests is None else self.requests
