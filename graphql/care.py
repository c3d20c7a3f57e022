"""Enrollment, discharge and readmission through the API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from carecoord.events.care import DischargeReason
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import alert_rules, client_mutation, fields_of, mutation
from carecoord.services.care.commands import (
    discharge_client,
    enroll_client,
    mark_discharge_in_error,
    mark_readmission_in_error,
    readmit_client,
)
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.unit_of_work import Command


@strawberry.input(description="A client to admit to a program.")
class EnrollClientInput:
    display_name: str
    program: str
    client_id: UUID | None = strawberry.field(
        default=None,
        description="Optional id from an upstream system. The client's id (the answer's"
        " `id`) is drawn from it and the program: enrolled again in the program it is refused"
        " (already-enrolled, naming the client), and in another program it is another"
        " client. A nurse's or prescriber's token names the program to give it"
        " (upstream-program). Without it the client's id is new.",
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the client was admitted; now if omitted."
    )


strawberry.enum(DischargeReason, description="Why a treatment episode ended.")


@strawberry.input(
    description=(
        "End the client's treatment episode. Refused while a medication order of theirs is"
        " in force (orders-in-force, naming them in `orderIds` to a prescriber, and to a"
        " program admin, who reads no orders, their count in `orderCount` and who wrote them"
        " in `prescriberIds`: a prescriber discontinues each first) and for a client already"
        " discharged (already-discharged). From then"
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


@strawberry.input(
    description="Begin a new treatment episode for a discharged client; refused for one"
    " discharged as deceased (client-deceased): a death recorded in error is marked so"
    " (markDischargeEnteredInError)."
)
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


@strawberry.input(description="A discharge recorded in error: the episode it ended goes on.")
class DischargeInErrorInput:
    client_id: UUID
    discharge_id: UUID = strawberry.field(
        description="The discharge: its `dischargeId` in `treatmentEpisodes` (its event,"
        " `eventId` on the timeline). Only the client's latest discharge standing: after a"
        " readmission, mark that entered in error first (readmission-since)."
    )
    reason: str = strawberry.field(
        description="Why: the wrong client, a death reported in error, ..."
    )


@strawberry.input(
    description="A readmission recorded in error: the client is out of treatment again from"
    " the discharge it ended."
)
class ReadmissionInErrorInput:
    client_id: UUID
    readmission_id: UUID = strawberry.field(
        description="The readmission: its `admissionId` in `treatmentEpisodes` (its event,"
        " `eventId` on the timeline). Only the client's latest readmission standing: after a"
        " discharge, mark that entered in error first (discharge-since); refused while what"
        " was recorded for the episode it began would be out of treatment"
        " (in-treatment-since)."
    )
    reason: str = strawberry.field(description="Why: the wrong client, entered twice, ...")


async def enrolled(ctx: RequestContext, input: EnrollClientInput) -> Command[UUID]:
    """Enrollment names no client yet: the program is the one a token names, if any."""
    stamp = await ctx.gate.stamp(Action.ENROLL_CLIENT)
    ctx.gate.at_site(input.program, "program")
    if input.client_id is not None:
        ctx.gate.enrols_upstream()
    await ctx.gate.unmistakable_program(input.program)
    given = fields_of(input)
    upstream_id = given.pop("client_id")  # another system's: not the client's (upstream.py)
    return enroll_client(stamp, **given, upstream_id=upstream_id)


@strawberry.type
class CareMutation:
    enroll_client = mutation("Enroll a client in a program.", EnrollClientInput, enrolled)
    discharge_client = client_mutation(
        "Discharge a client: their treatment episode ends; returns the client's id.",
        Action.DISCHARGE_CLIENT,
        discharge_client,
        DischargeClientInput,
        rules=alert_rules,
    )
    readmit_client = client_mutation(
        "Readmit a discharged client: a new treatment episode begins; returns the client's id.",
        Action.READMIT_CLIENT,
        readmit_client,
        ReadmitClientInput,
    )
    mark_discharge_entered_in_error = client_mutation(
        "Mark a discharge entered in error: the episode it ended goes on, at the level of care"
        " it ended at; the discharge stays on the record, marked. What it closed (sessions"
        " cancelled, guest dosing ended, consents given until discharge expired) stays closed:"
        " book, arrange or record each again. Those who may discharge may mark it. Returns the"
        " discharge's id.",
        Action.ENTER_DISCHARGE_IN_ERROR,
        mark_discharge_in_error,
        DischargeInErrorInput,
    )
    mark_readmission_entered_in_error = client_mutation(
        "Mark a readmission entered in error: the client is out of treatment again from the"
        " discharge it ended; the readmission stays on the record, marked. Those who may"
        " readmit may mark it. Returns the readmission's id.",
        Action.ENTER_READMISSION_IN_ERROR,
        mark_readmission_in_error,
        ReadmissionInErrorInput,
    )
