"""Prometheus metrics of one process (``GET /metrics``): what it decided, moved and served.

Counters move as things happen: commands by command and outcome (the bus), refusals by
code and rule (the API), events published (the relay) and applied to each read model (the
projector), GraphQL request latency by operation. Gauges are read at each scrape from the
store's head and the followers' recorded positions (``follower_positions``), the parked
events and this process's loops, so every process reports the same lag whichever one is
scraped. That reading is bounded (``DATABASE_READ_SECONDS``): with every pooled connection
out, or a database that does not answer, a scrape still answers within it with the loops and
the counters, the positions as last read, and ``carecoord_metrics_database_read`` at 0, so a
scraper's timeout does not turn a busy process into a missing one. The use of each pool of
the process (``carecoord_db_pool_*``, by the pool's label) is read from the pools themselves,
busy or not. Each platform has a
registry of its own (no process-wide state): tests run several platforms in one process.

Labels are bounded by the code, never by what a client sends: a command is named by the
function that builds it, an operation by its first root field (the schema's names; an
operation that never ran is ``invalid``), a refusal by its code and rule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

import psycopg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from psycopg_pool.base import BasePool

from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure import parked, positions
from carecoord.services.infrastructure.database_probe import PoolUse, read_pooled, within
from carecoord.services.infrastructure.liveness import Liveness, error_code
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import DomainError
from carecoord.services.kernel.platform_ids import shown_follower

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DATABASE_READ_SECONDS = 2.0
"""How long a scrape waits for the positions, the wait for a pooled connection included."""

log = logging.getLogger("carecoord.metrics")


def command_name(command: object) -> str:
    """The function that built a command (``enroll_client``), not its inner closure."""
    qualname = str(getattr(command, "__qualname__", type(command).__qualname__))
    return qualname.split(".<locals>", 1)[0]


class Metrics:
    """The metrics of one platform, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.commands = Counter(
            "carecoord_commands",
            "Commands run on the command bus, by command and outcome "
            "(recorded, replayed, refused, failed).",
            ["command", "outcome"],
            registry=registry,
        )
        self.refusals = Counter(
            "carecoord_refusals",
            "Refusals answered to API clients, by code and rule.",
            ["code", "rule"],
            registry=registry,
        )
        self.published = Counter(
            "carecoord_events_published",
            "Events the relay published to the broker, by event type.",
            ["event_type"],
            registry=registry,
        )
        self.applied = Counter(
            "carecoord_events_applied",
            "Events the projector applied, per read model.",
            ["read_model"],
            registry=registry,
        )
        self.requests = Histogram(
            "carecoord_graphql_request_duration_seconds",
            "GraphQL over HTTP requests, from the first byte read to the last sent, by "
            "operation type and first root field.",
            ["operation_type", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.failed_saves = Gauge(
            "carecoord_command_failed_saves",
            "Batches of commands whose save failed and which ran again on fresh state (most"
            " often another process wrote one of the records at the same moment).",
            registry=registry,
        )
        self.store_position = Gauge(
            "carecoord_store_position",
            "The global position of the newest event in the store.",
            registry=registry,
        )
        self.follower_position = Gauge(
            "carecoord_follower_position",
            "The position each follower (the relay, each read model) has recorded.",
            ["follower"],
            registry=registry,
        )
        self.follower_lag = Gauge(
            "carecoord_follower_lag_events",
            "Events stored but not yet reached by each follower (relay lag, projection lag).",
            ["follower"],
            registry=registry,
        )
        self.parked = Gauge(
            "carecoord_parked_events",
            "Events each follower set aside because it could not handle them.",
            ["follower"],
            registry=registry,
        )
        self.loop_stuck = Gauge(
            "carecoord_loop_stuck",
            "1 when a loop of this process has been failing, or holding a page it has not "
            "finished, for longer than loop_stuck_seconds, else 0.",
            ["loop"],
            registry=registry,
        )
        self.loop_progress = Gauge(
            "carecoord_loop_last_progress_timestamp_seconds",
            "When each loop of this process last made progress (Unix time; 0: not yet).",
            ["loop"],
            registry=registry,
        )
        self.database_read = Gauge(
            "carecoord_metrics_database_read",
            "1 when this scrape read the positions and parked events from the database; 0"
            " when it could not within its bound (the pool busy, the database not answering):"
            " those gauges then hold what the last successful scrape read.",
            registry=registry,
        )
        self.pool_use = {
            key: Gauge(
                f"carecoord_db_pool_{name}",
                f"{what}, by pool (process, requests, replica, store).",
                ["pool"],
                registry=registry,
            )
            for key, name, what in (
                ("size", "connections", "Connections each pool holds (out, idle or opening)"),
                ("max", "max_connections", "The most connections each pool opens"),
                ("available", "available_connections", "Idle connections ready to hand out"),
                ("waiting", "waiting_requests", "Requests queued for a connection"),
            )
        }
        self.scrape_seconds = Gauge(
            "carecoord_metrics_refresh_seconds",
            "How long reading the positions for this scrape took.",
            registry=registry,
        )

    # --- counters, called where things happen ---------------------------------------------

    def command_done(self, command: object, future: Future[Any]) -> None:
        """The bus's done-callback for one command (it runs on the writer thread)."""
        if future.cancelled():
            outcome = "failed"
        elif (failure := future.exception()) is not None:
            outcome = "refused" if isinstance(failure, DomainError) else "failed"
        else:
            outcome = "replayed" if getattr(future.result(), "replayed", False) else "recorded"
        self.commands.labels(command_name(command), outcome).inc()

    def refused(self, refusal: DomainError) -> None:
        self.refusals.labels(refusal.code, refusal.rule).inc()

    def events_published(self, items: Sequence[Positioned]) -> None:
        for item in items:
            self.published.labels(type_name(type(item.event))).inc()

    def events_applied(self, counts: Mapping[str, int]) -> None:
        for model, count in counts.items():
            if count:
                self.applied.labels(model).inc(count)

    def request_served(self, operation_type: str, operation: str, seconds: float) -> None:
        self.requests.labels(operation_type, operation).observe(seconds)

    # --- gauges, read at each scrape ------------------------------------------------------

    async def refresh(
        self,
        store: EventStore,
        pool: AsyncConnectionPool,
        liveness: Liveness,
        pools: Mapping[str, BasePool],
    ) -> None:
        """Read the store's head, the followers' positions and parked events (within
        ``DATABASE_READ_SECONDS``, on ``pool``), the loops, and the use of each of ``pools``
        by its label."""
        started = time.perf_counter()

        async def read(conn: AsyncConnection[Any]) -> tuple[int, dict[str, int], dict[str, int]]:
            head = await store.last_position_on(conn)
            return head, await positions.all_positions_on(conn), await parked.counts_on(conn)

        try:
            head, reached, set_aside = await within(
                read_pooled(pool, read, DATABASE_READ_SECONDS), DATABASE_READ_SECONDS
            )
        except (psycopg.Error, PoolTimeout, TimeoutError) as failed:
            self.database_read.set(0)
            log.warning(
                "metrics scrape without positions: the database was not read in time",
                extra={"code": "METRICS_DATABASE_UNREAD", "error": error_code(failed)},
            )
        else:
            self.database_read.set(1)
            self.store_position.set(head)
            for name, position in reached.items():
                shown = shown_follower(name)
                self.follower_position.labels(shown).set(position)
                self.follower_lag.labels(shown).set(max(head - position, 0))
                self.parked.labels(shown).set(set_aside.get(name, 0))
        now = time.time()
        for name, state in liveness.loops.items():
            shown = shown_follower(name)
            self.loop_stuck.labels(shown).set(int(state.stuck(now, liveness.stuck_after)))
            self.loop_progress.labels(shown).set(state.last_progress or 0)
        for label, each in pools.items():
            for key, value in PoolUse.of(each).report().items():
                self.pool_use[key].labels(label).set(value)
        self.scrape_seconds.set(time.perf_counter() - started)

    async def exposition(
        self,
        store: EventStore,
        pool: AsyncConnectionPool,
        liveness: Liveness,
        pools: Mapping[str, BasePool],
    ) -> bytes:
        """The text a scrape gets, gauges refreshed first."""
        await self.refresh(store, pool, liveness, pools)
        return generate_latest(self.registry)
