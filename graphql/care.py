"""Enrollment through the API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import fields_of, mutation
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.unit_of_work import Command


@strawberry.input(description="A client to admit to a program.")
class EnrollClientInput:
    display_name: str
    program: str
    client_id: UUID | None = strawberry.field(
        default=None, description="Optional id from an upstream system; generated if omitted."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the client was admitted; now if omitted."
    )


async def enrolled(ctx: RequestContext, input: EnrollClientInput) -> Command[UUID]:
    """Enrollment names no client yet: the program is what the caller must manage."""
    stamp = await ctx.gate.stamp(Action.ENROLL_CLIENT)
    ctx.gate.manages(input.program)
    return enroll_client(stamp, **fields_of(input))


@strawberry.type
class CareMutation:
    enroll_client = mutation("Enroll a client in a program.", EnrollClientInput, enrolled)
