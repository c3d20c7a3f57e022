"""The accounting of disclosures through the API (42 CFR 2.24, 45 CFR 164.528): what of a
client's record went to which outside recipient, for what, under which consent or emergency
access.

A client has a right to it, so their own token reads it (it names their client id); program
admins (their program's clients, when the token names one) and auditors answer for it.
Other roles are refused (``Listing.DISCLOSURES``). Each read, refused ones too, is
access-logged like any other read of the record.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Kind
from carecoord.graphql.access import page_size
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.declared import into
from carecoord.graphql.seqs import START, Seq
from carecoord.projections import disclosures
from carecoord.projections.disclosures import Status
from carecoord.services.kernel.policy import Listing

OPERATION = "disclosures"

strawberry.enum(
    Status,
    name="DisclosureStatus",
    description="SENT: recorded as sent. INTENDED: the forwarder's intent, not yet recorded"
    " sent (in flight, or interrupted: the forwarder sends it again when it starts, or"
    " withdraws it if its consent ended). WITHDRAWN: not sent after its consent ended.",
)


@strawberry.type(description="One disclosure of the client's records to an outside recipient.")
class Disclosure:
    disclosure_id: UUID
    client_id: UUID
    position: Seq = strawberry.field(description="The store position of its first record.")
    status: Status
    maybe_sent: bool = strawberry.field(
        description="The data may have left though no record says it went: an intent still"
        " open, or one withdrawn (a forwarder stopped between publishing and recording cannot"
        " know). False once SENT: it went."
    )
    recipient_type: str
    recipient_id: str
    recipient_name: str
    purpose: str
    data_kinds: list[str]
    description: str
    consent_id: UUID | None
    break_glass_id: UUID | None
    event_count: int = strawberry.field(
        description="The store events it names (the forwarder's); 0 for one described by hand."
    )
    recorded_at: datetime = strawberry.field(description="When it was first recorded.")
    recorded_by: str
    sent_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None

    @classmethod
    def of(cls, row: disclosures.Disclosure) -> Disclosure:
        status = Status(row["status"])
        return into(cls, row, status=status, maybe_sent=status is not Status.SENT)


@strawberry.type
class DisclosureQuery:
    @strawberry.field(
        description="A client's accounting of disclosures, in the order they were first"
        " recorded (since: first recorded then or later), a page at a time: the first after"
        " the position `after` (the last one's `position` to go on). The client themself,"
        " program admins and auditors; access-logged."
    )
    async def disclosures(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        since: datetime | None = None,
        after: Seq = START,
        first: int = 100,
        at_least: AtLeast = None,
    ) -> list[Disclosure]:
        ctx = info.context
        page_size(first)
        await ctx.gate.require_about(Listing.DISCLOSURES, client_id, OPERATION)
        rows = await ctx.client_rows(
            client_id,
            OPERATION,
            disclosures.NAME,
            at_least,
            lambda _: disclosures.of_client(
                ctx.platform.reads, client_id, since, after=after, first=first
            ),
            needs=Kind.CONSENT,
        )
        return [Disclosure.of(r) for r in rows]
