"""The rows of a program-wide listing (the DEA dispensing log, the lot ledger, the
medication safety log) a reader may have, each client's read access-logged once.

Auditors and program admins get every client's rows (an admin whose token names a program,
its clients' alone, and no other is logged as read); the roles the listing keeps to their
care team (``ListingRule.team_only``: prescribers, nurses) get those of the clients whose
care team they are on now, decided once the access views have each client's newest change.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TypedDict, TypeVar
from uuid import UUID

from carecoord.events import Kind
from carecoord.graphql.context import RequestContext
from carecoord.services.kernel.policy import Listing


class AboutClient(TypedDict):
    client_id: UUID


R = TypeVar("R", bound=AboutClient)


async def kept_rows(
    ctx: RequestContext, rows: list[R], operation: str, listing: Listing, kind: Kind
) -> list[R]:
    """The rows of ``listing`` this reader may have, each client's read (of ``kind``)
    logged once."""
    team_only = ctx.gate.require(listing)
    managed = await ctx.gate.in_managed_program(frozenset(r["client_id"] for r in rows))
    rows = [r for r in rows if r["client_id"] in managed]
    counts = Counter(r["client_id"] for r in rows)
    readable = ctx.gate.readable_on_team if team_only else ctx.gate.readable_each
    grants = await readable(counts, operation=operation)
    await asyncio.gather(
        *(
            ctx.gate.record_read(c, g, operation=operation, kinds=[kind], count=counts[c])
            for c, g in grants.items()
        )
    )
    return [r for r in rows if r["client_id"] in grants]
