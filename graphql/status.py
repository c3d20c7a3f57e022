"""How current the read models are: lag is visible, never guessed."""

from __future__ import annotations

import asyncio
import logging

import strawberry
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.services.infrastructure import parked, positions
from carecoord.services.platform import Platform

log = logging.getLogger("carecoord.status")

DATABASE_ANSWER_SECONDS = 2.0
"""How long ``/health`` waits for the database before it answers ``unavailable``."""


@strawberry.type
class FollowerStatus:
    name: str
    position: int
    lag: int = strawberry.field(description="Events recorded but not yet reached.")
    parked: int = strawberry.field(description="Events it set aside (could not handle).")


@strawberry.type
class PlatformStatus:
    store_position: int
    followers: list[FollowerStatus]
    stuck_loops: list[str] = strawberry.field(
        description="This process's loops that have been failing for too long."
    )

    @property
    def status(self) -> str:
        parked = any(f.parked for f in self.followers)
        return "degraded" if parked or self.stuck_loops else "ok"


async def platform_status(platform: Platform) -> PlatformStatus:
    head = await asyncio.to_thread(platform.store.last_position)
    reached = await positions.all_positions(platform.pool)
    set_aside = await parked.counts(platform.pool)
    return PlatformStatus(
        store_position=head,
        followers=[
            FollowerStatus(
                name=name, position=pos, lag=max(head - pos, 0), parked=set_aside.get(name, 0)
            )
            for name, pos in sorted(reached.items())
        ],
        stuck_loops=platform.liveness.stuck(),
    )


async def health(platform: Platform) -> dict[str, object]:
    """The body of ``/health``: positions and lag, set-aside events, each loop's state.

    ``degraded`` when an event was set aside or a loop of this process has been failing
    for ``loop_stuck_seconds`` (listed in ``stuckLoops``); ``unavailable`` when the database
    does not answer within ``DATABASE_ANSWER_SECONDS`` (a supervisor's probe times out
    sooner than the store's own 30 s wait for a connection).
    """
    if not await positions.database_answers(platform.pool, DATABASE_ANSWER_SECONDS):
        log.warning("health", extra={"code": "DATABASE_UNREACHABLE"})
        return {
            "status": "unavailable",
            "unreachable": ["database"],
            "stuckLoops": platform.liveness.stuck(),
            "loops": platform.liveness.report(),
        }
    status = await platform_status(platform)
    return {
        "status": status.status,
        "storePosition": status.store_position,
        "followers": {
            f.name: {"position": f.position, "lag": f.lag, "parked": f.parked}
            for f in status.followers
        },
        "stuckLoops": status.stuck_loops,
        "loops": platform.liveness.report(),
    }


@strawberry.type
class StatusQuery:
    @strawberry.field(description="Positions of the store, the relay and each projection.")
    async def platform_status(self, info: Info[RequestContext, None]) -> PlatformStatus:
        info.context.reader()
        return await platform_status(info.context.platform)
