"""Prescribing and dosing through the API: parse, call a command, shape the answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from pydantic import ValidationError
from strawberry.types import Info

from carecoord.events import Schedule
from carecoord.graphql.care import Recorded
from carecoord.graphql.context import RequestContext
from carecoord.services.medication.commands import administer_dose, prescribe
from carecoord.services.stamp import invalid_input


@strawberry.input(description="How often a dose is due.")
class ScheduleInput:
    times_per_day: int = 1
    every_days: int = 1


@strawberry.input(description="A new medication order.")
class PrescribeInput:
    client_id: UUID
    medication: str = strawberry.field(description="Formulary code, e.g. `methadone`.")
    dose: Decimal = strawberry.field(description="Total dose per dosing day.")
    unit: str
    route: str
    start: date
    schedule: ScheduleInput = strawberry.field(default_factory=ScheduleInput)
    end: date | None = None
    indication: str = ""
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the order was written; now if omitted."
    )


@strawberry.input(description="An observed dose given at the window.")
class AdministerDoseInput:
    client_id: UUID
    order_id: UUID
    amount: Decimal
    dosage_form: str
    slot: int = 1
    given_at: datetime | None = None


def schedule_of(given: ScheduleInput) -> Schedule:
    try:
        return Schedule(times_per_day=given.times_per_day, every_days=given.every_days)
    except ValidationError as invalid:
        raise invalid_input(invalid, prefix="schedule") from None


@strawberry.type
class MedicationMutation:
    @strawberry.mutation(description="Order a medication (prescribers only).")
    async def prescribe_medication(
        self, info: Info[RequestContext, None], input: PrescribeInput
    ) -> Recorded:
        ctx = info.context
        outcome = await ctx.platform.bus.execute(
            prescribe(
                ctx.stamp("prescribe"),
                client_id=input.client_id,
                medication=input.medication,
                dose=input.dose,
                unit=input.unit,
                route=input.route,
                schedule=schedule_of(input.schedule),
                start=input.start,
                end=input.end,
                indication=input.indication,
                occurred_at=input.occurred_at,
            )
        )
        return Recorded(id=outcome.result, position=outcome.position)

    @strawberry.mutation(description="Record an observed dose given at the window.")
    async def administer_dose(
        self, info: Info[RequestContext, None], input: AdministerDoseInput
    ) -> Recorded:
        ctx = info.context
        outcome = await ctx.platform.bus.execute(
            administer_dose(
                ctx.stamp("administer_dose"),
                client_id=input.client_id,
                order_id=input.order_id,
                amount=input.amount,
                dosage_form=input.dosage_form,
                slot=input.slot,
                given_at=input.given_at,
            )
        )
        return Recorded(id=outcome.result, position=outcome.position)
