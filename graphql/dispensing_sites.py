"""The program's dispensing sites, which a transfer may go to: those the program file
registers (``[medication] sites``) and those a program admin registered
(``registerDispensingSite``), each with who registered and retired it, by opaque user id.

Read by the program's admins, who keep the list, and the roles that transfer stock; a site
names no client, so no access-log entry is written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events.stock import stock_id
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import dispensing_sites as view
from carecoord.projections.dispensing_sites import REGISTERED, RETIRED
from carecoord.services.kernel.policy import Listing


@strawberry.enum(description="Where a dispensing site came from.")
class SiteSource(StrEnum):
    PROGRAM_FILE = "program_file"
    REGISTERED = "registered"


@strawberry.type(description="A dispensing site of the program, active or retired.")
class DispensingSite:
    id: UUID = strawberry.field(description="The id its stock goes by.")
    name: str
    source: SiteSource
    registered_at: datetime | None = strawberry.field(description="Null: the program file's.")
    registered_by: str | None = strawberry.field(description="The admin's opaque user id.")
    retired_at: datetime | None = strawberry.field(description="Null: active.")
    retired_by: str | None


def site_of(name: str, changes: dict[str, view.Change]) -> DispensingSite:
    registered, retired = changes.get(REGISTERED), changes.get(RETIRED)
    return DispensingSite(
        id=stock_id(name),
        name=name,
        source=SiteSource.REGISTERED if registered else SiteSource.PROGRAM_FILE,
        registered_at=registered["occurred_at"] if registered else None,
        registered_by=registered["actor_id"] if registered else None,
        retired_at=retired["occurred_at"] if retired else None,
        retired_by=retired["actor_id"] if retired else None,
    )


@strawberry.type
class DispensingSitesQuery:
    @strawberry.field(
        description="The program's dispensing sites by name, retired ones too: the program"
        " file's and those registered (program admins, prescribers and nurses)."
    )
    async def dispensing_sites(
        self, info: Info[RequestContext, None], at_least: AtLeast = None
    ) -> list[DispensingSite]:
        ctx = info.context
        ctx.gate.require(Listing.DISPENSING_SITES)
        await ctx.caught_up(view.NAME, at_least)
        folded = view.sites(await view.changes(ctx.platform.primary_reads))
        for name in ctx.platform.medication.sites:
            folded.setdefault(name, {})
        return [site_of(name, folded[name]) for name in sorted(folded)]
