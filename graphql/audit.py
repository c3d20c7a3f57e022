"""The auditor's tools over the access log: verify its hash chain, export it as FHIR.

Both are for auditors only. Verifying returns no client data, so it is not itself logged;
an export returns reads of clients' records and logs one entry per client, like
``accessLog``.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events import Role
from carecoord.graphql.access import log_each_client, page_size, require_role
from carecoord.graphql.context import RequestContext
from carecoord.services import access_log
from carecoord.services.access_chain import CHAIN
from carecoord.services.audit_events import audit_event

AUDITORS = frozenset({Role.AUDITOR})


@strawberry.type(description="What walking the access log's hash chain found.")
class AccessLogVerification:
    intact: bool = strawberry.field(description="Every chained entry links and hashes.")
    chain: str = strawberry.field(description="The hash construction (docs/access.md).")
    entries_checked: int
    unchained: int = strawberry.field(description="Leading entries from before the chain.")
    head_seq: int = strawberry.field(
        description="The last entry checked; keep it with head_hash to detect a cut tail."
    )
    head_hash: str = strawberry.field(description="Hex SHA-256 of the last good entry.")
    broken_at: int | None = strawberry.field(description="Seq of the first broken link.")
    rule: str | None = strawberry.field(description="prev-hash, hash, columns or unchained.")
    message: str | None


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Verify the access log's hash chain (auditors only).")
    async def verify_access_log(self, info: Info[RequestContext, None]) -> AccessLogVerification:
        ctx = info.context
        require_role(ctx, AUDITORS, "verifying the access log")
        found = await access_log.verify(ctx.platform.pool)
        broken = found.broken
        return AccessLogVerification(
            intact=broken is None,
            chain=CHAIN,
            entries_checked=found.checked,
            unchained=found.unchained,
            head_seq=found.head_seq,
            head_hash=found.head_hash.hex(),
            broken_at=None if broken is None else broken.seq,
            rule=None if broken is None else broken.rule,
            message=None if broken is None else broken.message,
        )

    @strawberry.field(
        description="The access log as FHIR R4 AuditEvent resources, in order (auditors only)."
    )
    async def access_log_audit_events(
        self, info: Info[RequestContext, None], after: int = 0, first: int = 100
    ) -> list[JSON]:
        ctx = info.context
        require_role(ctx, AUDITORS, "the access log export")
        page_size(first)
        found = await access_log.entries(
            ctx.platform.pool, client_id=None, actor_id=None, after=after, limit=first
        )
        await log_each_client(ctx, [f.entry.client_id for f in found], "accessLogAuditEvents")
        resources: list[Any] = [audit_event(f) for f in found]
        return resources
