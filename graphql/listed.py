"""A page of a program-wide listing (the DEA dispensing log, the lot ledger, the medication
safety log): the rows of it a reader may have, each client's read access-logged once.

Auditors and program admins get every client's rows (one whose token names a program, its
clients' alone, and no other is logged as read); the roles the listing keeps to their care
team (``ListingRule.team_only``: prescribers, nurses) get those of the clients whose care
team they are on now. The query itself keeps to those clients (``ReadersClients``), so the
page's rows, its cursor and whether more follow are made of the rows the reader may have
alone: read first and dropped after, another client's rows had cut pages short, said more
followed when none the reader may have did, and put their day and place in the cursor.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import TypedDict, TypeVar
from uuid import UUID

from carecoord.events import Kind
from carecoord.graphql.context import RequestContext
from carecoord.graphql.log_pages import Key, LogOrder, paged
from carecoord.graphql.page_info import PageInfo
from carecoord.projections.readers_clients import ReadersClients
from carecoord.services.kernel.policy import Grant, Listing


class AboutClient(TypedDict):
    client_id: UUID


R = TypeVar("R", bound=AboutClient)


async def listed_page(
    ctx: RequestContext,
    order: LogOrder,
    first: int | None,
    after: str | None,
    read: Callable[[ReadersClients, Key | None, int], Awaitable[list[R]]],
    *,
    operation: str,
    listing: Listing,
    kind: Kind,
) -> tuple[list[R], PageInfo]:
    """The page (``paged``) of the rows of ``listing`` this reader may have, which
    ``read(clients, after, limit)`` answers, each client's read (of ``kind``) logged once.

    Each client the query answers is still decided by the gate: one it refuses though the
    views listed it (a removal from the care team the view lacked) is left out of the query,
    which is asked again, so no row it refuses shapes the page."""
    team_only = ctx.gate.require(listing)
    reader = ctx.gate.reader()
    clients = ReadersClients(
        member=reader.id if team_only else None,
        role=reader.role.value if team_only else None,
        program=ctx.gate.managed_program(),
    )
    readable = ctx.gate.readable_on_team if team_only else ctx.gate.readable_each
    grants: dict[UUID, Grant] = {}
    while True:
        rows, page_info = await paged(order, first, after, partial(read, clients))
        new = {r["client_id"] for r in rows} - grants.keys() - clients.left_out
        found = await readable(new, operation=operation) if new else {}
        grants.update(found)
        if new <= found.keys():
            break
        clients = replace(clients, left_out=clients.left_out | (new - found.keys()))
    counts = Counter(r["client_id"] for r in rows)
    await asyncio.gather(
        *(
            ctx.gate.record_read(c, grants[c], operation=operation, kinds=[kind], count=n)
            for c, n in counts.items()
        )
    )
    return rows, page_info
