"""How current the read models are: lag is visible, never guessed."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from psycopg import AsyncConnection
from psycopg_pool.base import BasePool
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.graphql.seqs import Seq
from carecoord.projections import versions
from carecoord.projections.models import READ_MODELS
from carecoord.projections.projector import version
from carecoord.services.infrastructure import database_probe, heartbeats, parked, positions
from carecoord.services.infrastructure.database_probe import PoolUse, Reach
from carecoord.services.kernel.platform_ids import shown_follower
from carecoord.services.platform import Platform

DATABASE_ANSWER_SECONDS = 2.0
"""How long ``/health`` waits for the database, all of its reading included, before it
answers ``busy`` or ``unavailable``."""
PAST_HEAD = "POSITION_PAST_HEAD"
PROCESS_POOL = "process"
"""The label of the pool the projector, the relay, the access log, subscriptions and
``/health`` itself use."""


def pools(platform: Platform) -> dict[str, BasePool]:
    """Every connection pool of the process, by the label ``/health`` and ``/metrics`` name it
    by: the process's, the API's bound reads on the primary (``requests``) and the
    replica's where the process has them, and the event store's (its writer's)."""
    found: dict[str, BasePool] = {PROCESS_POOL: platform.pool}
    for label, pool in (("requests", platform.requests), ("replica", platform.replica)):
        if pool is not None:
            found[label] = pool
    found["store"] = platform.store.pool
    return found


@strawberry.type
class FollowerStatus:
    name: str
    position: Seq
    lag: Seq = strawberry.field(description="Events recorded but not yet reached.")
    parked: int = strawberry.field(description="Events it set aside (could not handle).")


@strawberry.type
class PlatformStatus:
    store_position: Seq
    followers: list[FollowerStatus]
    stuck_loops: list[str] = strawberry.field(
        description="This process's loops that have been failing for too long."
    )
    outdated: strawberry.Private[dict[str, int]]
    """Read models whose live rows another version derived, and the version that did."""
    silent: strawberry.Private[dict[str, float]]
    """Followers whose process has not beaten for the bound, and for how many seconds."""

    @property
    def past_head(self) -> list[FollowerStatus]:
        """Followers whose position is past every stored event: set there by hand, since a
        follower reaches only stored events. Lag reads 0, yet it would skip every event
        recorded until the store reaches that position, and the gate takes an access view
        there as holding every access change."""
        return [f for f in self.followers if f.position > self.store_position]

    @property
    def status(self) -> str:
        parked = any(f.parked for f in self.followers)
        wrong = parked or self.stuck_loops or self.outdated or self.past_head or self.silent
        return "degraded" if wrong else "ok"


def stuck_loops(platform: Platform) -> list[str]:
    return [shown_follower(name) for name in platform.liveness.stuck()]


def loops(platform: Platform) -> dict[str, dict[str, object]]:
    """Each loop's state by its shown name (``shown_follower``)."""
    return {shown_follower(name): state for name, state in platform.liveness.report().items()}


async def platform_status(platform: Platform) -> PlatformStatus:
    async with platform.pool.connection() as conn:
        return await read_status(platform, conn)


async def read_status(platform: Platform, conn: AsyncConnection[Any]) -> PlatformStatus:
    """The store's head, the followers' positions, what each set aside and the read models
    another version built, on ``conn``. The positions are read before the head, so a
    follower reaching an event stored meanwhile is never seen past the head."""
    reached = await positions.all_positions_on(conn)
    head = await platform.store.last_position_on(conn)
    set_aside = await parked.counts_on(conn)
    outdated = await versions.built_with(conn, READ_MODELS)
    silent = await heartbeats.silent_on(conn, platform.settings.follower_silent_seconds)
    return PlatformStatus(
        store_position=Seq(head),
        followers=[
            FollowerStatus(
                name=shown_follower(name),
                position=Seq(pos),
                lag=Seq(max(head - pos, 0)),
                parked=set_aside.get(name, 0),
            )
            for name, pos in sorted(reached.items())
        ],
        stuck_loops=stuck_loops(platform),
        outdated=outdated,
        silent={shown_follower(name): seconds for name, seconds in silent.items()},
    )


async def health(platform: Platform) -> dict[str, object]:
    """The body of ``/health``: positions and lag, set-aside events, each loop's state.

    ``degraded`` when an event was set aside, a read model's live rows were derived by
    another version than this process's (``outdatedModels``: the version that built them and
    this one's; the projector is rebuilding it, ``projections/versions.py``), a follower's
    position is past the store's head (``pastHead``, code ``POSITION_PAST_HEAD``), the relay's
    or a projector's process has not beaten for ``follower_silent_seconds`` (``silent``, code
    ``FOLLOWER_SILENT``, with ``silentSeconds``: killed or hung, ``heartbeats.py``) or a loop of
    process has been failing, or holding a page it has not finished, for
    ``loop_stuck_seconds`` (listed in ``stuckLoops``). Within
    ``DATABASE_ANSWER_SECONDS`` whatever the database does
    (``services/infrastructure/database_probe.py``): ``degraded`` with ``busy: ["database"]``
    when the server answers but a pool of the process hands out no connection in time (a
    process serving long requests, not one to restart), ``busyPools`` naming each such pool
    by its label (``pools``), and ``unavailable`` with ``unreachable: ["database"]`` when
    the server does not answer. With the process's own pool taken, or the server silent,
    there are no positions: reading them is what could not be done in time. ``pools`` holds
    each pool's use, ``pool`` the process's when the positions were not read.
    """
    every = pools(platform)
    others = {label: pool for label, pool in every.items() if label != PROCESS_POOL}
    reading, busy_pools = await asyncio.gather(
        database_probe.read_or_probe(
            platform.pool,
            platform.database_url,
            lambda conn: read_status(platform, conn),
            DATABASE_ANSWER_SECONDS,
        ),
        database_probe.taken(others, DATABASE_ANSWER_SECONDS / 2),
    )
    if reading.reach is Reach.BUSY:
        busy_pools.insert(0, PROCESS_POOL)
    use = {label: PoolUse.of(pool).report() for label, pool in every.items()}
    taken = {"busy": ["database"], "busyPools": busy_pools} if busy_pools else {}
    if reading.reach is Reach.UNREACHABLE:
        taken = {"unreachable": ["database"]}  # a pool is taken or not: no server to ask
    status = reading.value
    if status is None:
        return {
            "status": "degraded" if reading.reach is Reach.BUSY else "unavailable",
            **taken,
            "pool": reading.pool.report(),
            "pools": use,
            "stuckLoops": stuck_loops(platform),
            "loops": loops(platform),
        }
    return {
        "status": "degraded" if taken else status.status,
        **taken,
        "pools": use,
        "storePosition": status.store_position,
        "followers": {
            f.name: {"position": f.position, "lag": f.lag, "parked": f.parked}
            for f in status.followers
        },
        "outdatedModels": {
            model.NAME: {"builtWith": status.outdated[model.NAME], "version": version(model)}
            for model in READ_MODELS
            if model.NAME in status.outdated
        },
        "pastHead": {
            f.name: {
                "code": PAST_HEAD,
                "position": f.position,
                "storePosition": status.store_position,
            }
            for f in status.past_head
        },
        "silent": {
            name: {"code": heartbeats.SILENT, "silentSeconds": seconds}
            for name, seconds in sorted(status.silent.items())
        },
        "stuckLoops": status.stuck_loops,
        "loops": loops(platform),
    }


@strawberry.type
class StatusQuery:
    @strawberry.field(description="Positions of the store, the relay and each projection.")
    async def platform_status(self, info: Info[RequestContext, None]) -> PlatformStatus:
        """Any signed-in reader's: positions and counts of every program's events together,
        naming no client, program or kind. A clinician learns the store's position from the
        ``position`` each of their mutations answers, and from ``atLeast``, which refuses one
        past it (``recorded-position``); ``/health`` says the same to a reader's token
        (``graphql/health_access.py``)."""
        info.context.reader()
        return await platform_status(info.context.platform)
