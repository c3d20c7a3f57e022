"""The medication mutations' input types: what a prescriber or nurse sends."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry

from carecoord.events.medication import (
    Dispensing,
    NotGivenReason,
    StatementSource,
)

strawberry.enum(Dispensing, description="Where an order's doses come from.")
strawberry.enum(StatementSource, description="Who reported a medication taken elsewhere.")
strawberry.enum(NotGivenReason, description="Why a due dose was not given.")


def decided_at() -> Any:
    """The ``occurredAt`` of a prescriber's or director's decision."""
    return strawberry.field(
        default=None, description="When it was decided (clinical time); now if omitted."
    )


@strawberry.input
class OrderInput:
    """What an input about one of the client's orders starts with (not a GraphQL type of
    its own: none takes it as it is)."""

    client_id: UUID
    order_id: UUID


@strawberry.input(description="How often a dose is due.")
class ScheduleInput:
    times_per_day: int = strawberry.field(default=1, description="2 for a split dose.")
    every_days: int = strawberry.field(default=1, description="28 for monthly XR-naltrexone.")


@strawberry.input(description="A high-severity interaction the prescriber accepts, and why.")
class AcknowledgementInput:
    rule: str = strawberry.field(description="The rule id named in the refusal.")
    reason: str


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
    dispensing: Dispensing | None = strawberry.field(
        default=None, description="Default: the formulary's (clinic for OTP medications)."
    )
    acknowledgements: list[AcknowledgementInput] = strawberry.field(default_factory=list)
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the order was written; now if omitted."
    )


@strawberry.input(description="A new dose replacing an order from `start` on.")
class ChangeDoseInput(OrderInput):
    dose: Decimal
    start: date
    schedule: ScheduleInput | None = None
    reason: str = ""
    acknowledgements: list[AcknowledgementInput] = strawberry.field(default_factory=list)
    occurred_at: datetime | None = decided_at()


@strawberry.input
class TaperStepInput:
    start: date
    dose: Decimal


@strawberry.input(
    description="A stepwise taper replacing an order; `blind` hides doses from the client."
)
class TaperInput(OrderInput):
    steps: list[TaperStepInput]
    end: date | None = None
    blind: bool = False
    reason: str = ""
    acknowledgements: list[AcknowledgementInput] = strawberry.field(default_factory=list)
    occurred_at: datetime | None = decided_at()


@strawberry.input(description="Hold, resume or mark an order in error.")
class OrderActionInput(OrderInput):
    reason: str


@strawberry.input(
    description="Lift a hold, with the reason. After days without methadone (a restart),"
    " `acknowledgements` may carry the prescriber's rationale for methadone-initial-dose: the"
    " order's full dose on the first day back."
)
class ResumeOrderInput(OrderActionInput):
    acknowledgements: list[AcknowledgementInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Stop an order, with the reason and when it stopped.")
class DiscontinueOrderInput(OrderActionInput):
    stopped_at: datetime | None = strawberry.field(
        default=None,
        description="When it actually stopped; now if omitted. Not in the future, at most 30"
        " days back, not before the order's start or a dose given under it. The order counts"
        " as exposure through its interaction rules' washouts from then.",
    )


@strawberry.input(description="A medication the client takes from elsewhere.")
class MedicationStatementInput:
    client_id: UUID
    medication: str
    source: StatementSource
    dose: Decimal | None = None
    unit: str = ""
    source_detail: str = ""
    since: date | None = None
    occurred_at: datetime | None = decided_at()


@strawberry.input
class EndMedicationStatementInput:
    client_id: UUID
    statement_id: UUID
    reason: str = ""
    stopped_at: datetime | None = strawberry.field(
        default=None,
        description="When the client stopped taking it; now if omitted. Not in the future,"
        " at most 30 days back, not before the reported `since`.",
    )


@strawberry.input(description="A medication statement recorded in error.")
class StatementInErrorInput:
    client_id: UUID
    statement_id: UUID = strawberry.field(
        description="The statement (`recordMedicationStatement`'s `id`)."
    )
    reason: str = strawberry.field(description="Why: wrong client, never taken, ...")


@strawberry.input(description="An observed dose given at the window.")
class AdministerDoseInput(OrderInput):
    amount: Decimal
    dosage_form: str
    slot: int = 1
    given_at: datetime | None = None
    lot: str = ""
    bottle: str = ""


@strawberry.input(description="A dose replacing one spilled or vomited, on the same day.")
class ReplaceDoseInput(OrderInput):
    replaces_dose_id: UUID
    amount: Decimal
    dosage_form: str
    reason: str
    given_at: datetime | None = None
    lot: str = ""
    bottle: str = ""


@strawberry.input(
    description="A dose given at the window that was charted in error (on the wrong client,"
    " or never given): its slot is free again and it counts as not given."
)
class DoseInErrorInput:
    client_id: UUID
    dose_id: UUID = strawberry.field(
        description="The dose (`administerDose`'s or `replaceDose`'s `id`; `doseId` in"
        " `clientDosing`). A dose that was replaced waits until its replacement is marked."
    )
    reason: str = strawberry.field(description="Why: wrong client, never given, ...")


@strawberry.input(description="A due dose that was not given, and why.")
class DoseNotGivenInput(OrderInput):
    reason: NotGivenReason
    slot: int = 1
    note: str = ""
    occurred_at: datetime | None = None


@strawberry.input(
    description="A dose not given that was charted in error (on the wrong client, for the"
    " wrong day): it no longer accounts for its day, which the missed-dose rule may then find"
    " missed."
)
class NotGivenInErrorInput:
    client_id: UUID
    entry_id: UUID = strawberry.field(
        description="The dose not given (`recordDoseNotGiven`'s `entryId`; `entryId` of its"
        " `not-given` entry in `clientDosing`)."
    )
    reason: str = strawberry.field(description="Why: wrong client, wrong day, ...")


@strawberry.input
class BottleInput:
    bottle: str
    lot: str


@strawberry.input(description="Take-home doses handed over: one bottle per dose, in order.")
class TakeHomeInput(OrderInput):
    first_day: date
    days: int
    dosage_form: str
    bottles: list[BottleInput]
    handed_over_at: datetime | None = None


@strawberry.input(
    description="A take-home charted in error (for the wrong client, or never handed over):"
    " the days its bottles covered are free again and they count nowhere."
)
class TakeHomeInErrorInput:
    client_id: UUID
    dispense_id: UUID = strawberry.field(
        description="The take-home (`dispenseTakeHome`'s `id`; `dispenseId` of its"
        " `take-home` entries in `clientDosing`)."
    )
    reason: str = strawberry.field(description="Why: wrong client, never handed over, ...")


@strawberry.input(
    description="A take-home bottle brought back: the hand-over, the day and slot on its"
    " label, its lot, and what is left in it."
)
class ReturnedBottleInput:
    dispense_id: UUID = strawberry.field(
        description="The take-home it was handed over in (`dispenseId` in `clientDosing`)."
    )
    day: date
    slot: int = 1
    lot: str = strawberry.field(description="The lot on its label, as handed over.")
    amount: Decimal | None = strawberry.field(
        default=None,
        description="What is left in it, counted before the witness; omitted: untouched.",
    )


@strawberry.input(
    description="Take-home bottles the client brought back, counted before a second staff"
    " member and destroyed: never back in stock. One order's bottles per return."
)
class TakeHomeReturnInput:
    client_id: UUID
    bottles: list[ReturnedBottleInput]
    witness_id: str = strawberry.field(
        description="The staff member who witnessed the count and the destruction."
    )
    returned_at: datetime | None = None


@strawberry.input(description="A take-home return you witnessed, confirmed under your own login.")
class TakeHomeReturnWitnessInput:
    client_id: UUID
    return_id: UUID = strawberry.field(description="The return (`returnTakeHome`'s `id`).")


@strawberry.input
class CriterionInput:
    criterion: str = strawberry.field(description="A 42 CFR 8.12(i) criterion code.")
    met: bool


@strawberry.input(description="The medical director's take-home eligibility decision.")
class TakeHomeEligibilityInput:
    client_id: UUID
    max_days: int
    criteria: list[CriterionInput]
    basis: str = ""
    occurred_at: datetime | None = decided_at()


@strawberry.input
class GuestDosingInput:
    client_id: UUID
    site: str
    start: date
    end: date


@strawberry.input
class EndGuestDosingInput:
    client_id: UUID
    guest_dosing_id: UUID
    ended_on: date
    reason: str = ""
