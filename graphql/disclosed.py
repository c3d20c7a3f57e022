"""What ``recordDisclosure`` answers: beside the disclosure's id, what whoever sends the
records by hand (a fax to a court, a letter) must send with them, as the forwarder sends it
with each message (42 CFR 2.32): the notice recorded with the disclosure, and the scope of
the consent it was made under."""

from __future__ import annotations

from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.graphql.idempotency import executed
from carecoord.graphql.seqs import Seq
from carecoord.services.consent.commands import Disclosed
from carecoord.services.kernel.unit_of_work import Command


@strawberry.type(
    description="A disclosure recorded, and what must go with the records (docs/access.md,"
    " 'Consent, disclosure, break-glass')."
)
class RecordedDisclosure:
    id: UUID
    position: Seq = strawberry.field(
        description="Pass as `atLeast` to a query to read your own write."
    )
    notice: str = strawberry.field(
        description="The 42 CFR 2.32 notice recorded with the disclosure: send it with the records."
    )
    consent_scope: str | None = strawberry.field(
        description="The scope of the consent the disclosure was made under, one line of JSON"
        " (purpose, dataKinds, signedOn, expiresAt, expiryEvent), as the forwarder sends it"
        " (Carecoord-Consent-Scope): send it with the records, as 42 CFR 2.32(b) asks."
        " Null under emergency access (breakGlassId)."
    )


async def disclosed(
    info: Info[RequestContext, None], command: Command[Disclosed]
) -> RecordedDisclosure:
    """As ``recorded``, with the notice and the consent's scope (replayed alike)."""
    outcome = await executed(info, command)
    found = outcome.result
    return RecordedDisclosure(
        id=found.id,
        position=Seq(outcome.position),
        notice=found.notice,
        consent_scope=found.consent_scope,
    )
