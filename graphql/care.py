"""Enrollment, discharge and readmission through the API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from carecoord.events.care import DischargeReason
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import client_mutation, fields_of, mutation
from carecoord.services.care.commands import discharge_client, enroll_client, readmit_client
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


strawberry.enum(DischargeReason, description="Why a treatment episode ended.")


@strawberry.input(
    description=(
        "End the client's treatment episode. Refused while a medication order of theirs is"
        " in force (orders-in-force, naming them in `orderIds`: a prescriber discontinues"
        " each first) and for a client already discharged (already-discharged). From then"
        " until a readmission no dose, take-home, order, session booking, guest dosing,"
        " level of care or goal is recorded for them (client-discharged)."
    )
)
class DischargeClientInput:
    client_id: UUID
    reason: DischargeReason
    note: str = strawberry.field(
        default="",
        description=(
            "Optional discharge note, at most 2,000 characters; withheld, like any clinical"
            " note, from a reader whose grant shows less than its writer's role does."
        ),
    )
    discharged_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When the episode ended; now if omitted. Not in the future (not-in-future), not"
            " before the enrolment (after-enrolment), the readmission or the current level of"
            " care (in-order)."
        ),
    )


@strawberry.input(description="Begin a new treatment episode for a discharged client.")
class ReadmitClientInput:
    client_id: UUID
    readmitted_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When the new episode began; now if omitted. After the discharge"
            " (after-discharge), not in the future (not-in-future). Time in treatment for"
            " the take-home schedule counts from the first dose since, and a take-home"
            " eligibility determined before it no longer stands."
        ),
    )


async def enrolled(ctx: RequestContext, input: EnrollClientInput) -> Command[UUID]:
    """Enrollment names no client yet: the program is what the caller must manage."""
    stamp = await ctx.gate.stamp(Action.ENROLL_CLIENT)
    ctx.gate.manages(input.program)
    await ctx.gate.unmistakable_program(input.program)
    return enroll_client(stamp, **fields_of(input))


@strawberry.type
class CareMutation:
    enroll_client = mutation("Enroll a client in a program.", EnrollClientInput, enrolled)
    discharge_client = client_mutation(
        "Discharge a client: their treatment episode ends; returns the client's id.",
        Action.DISCHARGE_CLIENT,
        discharge_client,
        DischargeClientInput,
    )
    readmit_client = client_mutation(
        "Readmit a discharged client: a new treatment episode begins; returns the client's id.",
        Action.READMIT_CLIENT,
        readmit_client,
        ReadmitClientInput,
    )
