"""How current the read models are: lag is visible, never guessed."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.services import positions
from carecoord.services.bootstrap import Platform


@strawberry.type
class FollowerStatus:
    name: str
    position: int
    lag: int = strawberry.field(description="Events recorded but not yet reached.")


@strawberry.type
class PlatformStatus:
    store_position: int
    followers: list[FollowerStatus]


async def platform_status(platform: Platform) -> PlatformStatus:
    head = await asyncio.to_thread(platform.store.last_position)
    reached = await positions.all_positions(platform.pool)
    return PlatformStatus(
        store_position=head,
        followers=[
            FollowerStatus(name=name, position=pos, lag=head - pos)
            for name, pos in sorted(reached.items())
        ],
    )


@strawberry.type
class StatusQuery:
    @strawberry.field(description="Positions of the store, the relay and each projection.")
    async def platform_status(self, info: Info[RequestContext, None]) -> PlatformStatus:
        info.context.reader()
        return await platform_status(info.context.platform)
