"""The auditor's tools: verify the access log's hash chain, export it as FHIR, and verify
one client's events in the event store's hash chain.

All are for auditors only. Verifying the access log returns no client data, so it is not
itself logged; an export returns reads of clients' records and logs one entry per client,
like ``accessLog``; verifying a client's record is a read of that record and is logged
(refused or not) like any other.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events import Role
from carecoord.graphql.access import (
    Through,
    after_in_log,
    log_each_client,
    log_page,
    logged_among,
)
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import into
from carecoord.graphql.seqs import START, Seq
from carecoord.services.infrastructure import access_log
from carecoord.services.infrastructure.access_chain import CHAIN
from carecoord.services.infrastructure.audit_events import audit_event
from carecoord.services.infrastructure.chain_verification import (
    Break,
    ClientReport,
    Verdict,
    verify_client,
)
from carecoord.services.infrastructure.event_chain import CHAIN as EVENT_CHAIN
from carecoord.services.kernel.errors import NotFound
from carecoord.services.kernel.policy import Listing

AUDITORS = frozenset({Role.AUDITOR})


@strawberry.type(description="What walking the access log's hash chain found.")
class AccessLogVerification:
    intact: bool = strawberry.field(description="Every chained entry links and hashes.")
    chain: str = strawberry.field(description="The hash construction (docs/access.md).")
    entries_checked: Seq
    unchained: Seq = strawberry.field(description="Leading entries from before the chain.")
    head_seq: Seq = strawberry.field(
        description="The last entry verified intact, before any break (0 if none); keep it"
        " with headHash to detect a cut tail."
    )
    head_hash: str = strawberry.field(
        description="Hex SHA-256 of the entry at headSeq (32 zero bytes, the chain's genesis,"
        " when headSeq is 0)."
    )
    broken_at: Seq | None = strawberry.field(description="Seq of the first broken link.")
    rule: str | None = strawberry.field(description="prev-hash, hash, columns or unchained.")
    message: str | None


strawberry.enum(
    Verdict,
    name="ChainVerdict",
    description="What a broken link of the event chain looks like (docs/access.md).",
)


@strawberry.type(description="The first link of the event store's hash chain that does not hold.")
class ChainBreak:
    position: Seq = strawberry.field(description="The event whose link into it fails.")
    verdict: Verdict
    message: str
    expected: str | None = strawberry.field(description="Hex SHA-256 the link should have.")
    found: str | None = strawberry.field(description="Hex SHA-256 the stored row gives.")
    aggregate_id: UUID | None
    version: int | None
    event_type: str | None
    related_position: Seq | None = strawberry.field(
        description="The other event involved: where the row was chained, the last good one."
    )

    @classmethod
    def of(cls, broken: Break) -> ChainBreak:
        return into(cls, broken, event_type=broken.topic, related_position=broken.related)


@strawberry.type(description="One client's events checked against the event store's hash chain.")
class ClientRecordVerification:
    intact: bool
    chain: str = strawberry.field(description="The hash construction (docs/access.md).")
    client_id: UUID
    events_checked: int = strawberry.field(
        description="The client's stored events; each is checked with the links into and out of it."
    )
    first_position: Seq | None
    last_position: Seq | None
    broken: ChainBreak | None

    @classmethod
    def of(cls, client_id: UUID, found: ClientReport) -> ClientRecordVerification:
        return cls(
            intact=found.broken is None,
            chain=EVENT_CHAIN,
            client_id=client_id,
            events_checked=found.checked,
            first_position=None if found.first_position is None else Seq(found.first_position),
            last_position=None if found.last_position is None else Seq(found.last_position),
            broken=None if found.broken is None else ChainBreak.of(found.broken),
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Verify the access log's hash chain (auditors only).")
    async def verify_access_log(self, info: Info[RequestContext, None]) -> AccessLogVerification:
        ctx = info.context
        ctx.gate.require(Listing.ACCESS_LOG)
        found = await access_log.verify(ctx.platform.pool)
        broken = found.broken
        return AccessLogVerification(
            intact=broken is None,
            chain=CHAIN,
            entries_checked=Seq(found.checked),
            unchained=Seq(found.unchained),
            head_seq=Seq(found.head_seq),
            head_hash=found.head_hash.hex(),
            broken_at=None if broken is None else Seq(broken.seq),
            rule=None if broken is None else broken.rule,
            message=None if broken is None else broken.message,
        )

    @strawberry.field(
        description="The seq of the access log's newest entry (0 for none): page accessLog or"
        " accessLogAuditEvents `through` it, and start the next pass `after` it (auditors"
        " only; returns no client's data, so not logged)."
    )
    async def access_log_head(self, info: Info[RequestContext, None]) -> Seq:
        info.context.gate.require(Listing.ACCESS_LOG)
        return Seq(await access_log.head(info.context.platform.primary_reads))

    @strawberry.field(
        description="The access log as FHIR R4 AuditEvent resources, in order, `first` after"
        " the seq `after`, up to `through` (auditors only; each page read is logged)."
    )
    async def access_log_audit_events(
        self,
        info: Info[RequestContext, None],
        after: Seq = START,
        first: int = 100,
        through: Through = None,
    ) -> list[JSON]:
        ctx = info.context
        ctx.gate.require(Listing.ACCESS_LOG)
        log_page(first, after, through)
        await after_in_log(ctx, after)
        found = await access_log.entries(
            ctx.platform.primary_reads,
            client_id=None,
            actor_id=None,
            after=after,
            limit=first,
            through=through,
            among=await logged_among(ctx),
        )
        await log_each_client(ctx, [f.entry.client_id for f in found], "accessLogAuditEvents")
        resources: list[Any] = [audit_event(f) for f in found]
        return resources

    @strawberry.field(
        description="Verify one client's events in the event store's hash chain: each hashes"
        " as written and follows the event before it in the global order (auditors only;"
        " access-logged). `carecoord audit verify` walks the whole store."
    )
    async def verify_client_record(
        self, info: Info[RequestContext, None], client_id: UUID
    ) -> ClientRecordVerification:
        ctx = info.context
        operation = "verifyClientRecord"
        await ctx.gate.require_about(Listing.RECORD_VERIFICATION, client_id, operation)
        grant = await ctx.gate.readable(client_id, operation=operation)
        async with ctx.platform.pool.connection() as conn:
            found = await verify_client(conn, client_id)
        await ctx.gate.record_read(
            client_id, grant, operation=operation, kinds=(), count=found.checked
        )
        if found.checked == 0:
            # Nothing to call intact: an id never enrolled, or a record deleted whole.
            raise NotFound(
                "clientId",
                "unknown-client",
                f"no event of client {client_id} is stored: never enrolled, or every one was"
                " deleted (carecoord audit verify walks the whole store)",
            )
        return ClientRecordVerification.of(client_id, found)
