"""Prescribing and dispensing through the API: parse, call a command, shape the answer.

Every mutation returns what it recorded and the position to wait for (`atLeast`);
prescribing steps also return the interaction findings recorded with the order. A step a
hard-stop rule refused answers with the refusal error, as it always did; the command has
recorded the attempt on the client's record first, and the error names its id and
position (``extensions.refusalId``, ``extensions.position``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

import strawberry
from pydantic import BaseModel, ValidationError
from strawberry.types import Info

from carecoord.events.medication import (
    ExposureEvidence,
    InteractionFound,
    Schedule,
    Severity,
    TakeHomeCriterion,
    TaperStep,
)
from carecoord.graphql.care import Recorded, admitted, recorded
from carecoord.graphql.context import RequestContext
from carecoord.graphql.idempotency import executed
from carecoord.graphql.medication_inputs import (
    AcknowledgementInput,
    AdministerDoseInput,
    ChangeDoseInput,
    DiscontinueOrderInput,
    DoseNotGivenInput,
    EndGuestDosingInput,
    EndMedicationStatementInput,
    GuestDosingInput,
    MedicationStatementInput,
    OrderActionInput,
    PrescribeInput,
    ReplaceDoseInput,
    ScheduleInput,
    TakeHomeEligibilityInput,
    TakeHomeInput,
    TaperInput,
)
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import invalid_input
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication import commands
from carecoord.services.medication.commands import Written
from carecoord.services.medication.dispensing import (
    Bottle,
    GivenDose,
    NotGiven,
    Replacement,
    TakeHome,
)
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.prescribing import DoseChange, NewOrder, Taper
from carecoord.services.medication.statements import Statement

strawberry.enum(Severity, description="FHIR DetectedIssue severity.")

V = TypeVar("V", bound=BaseModel)
D = TypeVar("D")


@strawberry.type(
    description="What a rule counted as the client's exposure to the other medication."
)
class Exposure:
    id: UUID = strawberry.field(description="The order or statement.")
    medication: str
    basis: str = strawberry.field(
        description="What the exposure is: an order in force, the last dose given, take-homes"
        " in hand, an injection and how long it acts, a stop."
    )
    through: date | None = strawberry.field(
        description="The last day it acts; null while it is taken."
    )
    washout_days: int = strawberry.field(description="Days past `through` the rule counts it.")
    clear_from: date | None = strawberry.field(
        description="From this day the rule no longer counts it; null while it is taken."
    )

    @classmethod
    def of(cls, found: ExposureEvidence | None) -> Exposure | None:
        if found is None:
            return None
        return cls(
            id=found.id,
            medication=found.medication,
            basis=found.basis,
            through=found.through,
            washout_days=found.washout_days,
            clear_from=found.clear_from,
        )


@strawberry.type(description="An interaction or contraindication rule that matched.")
class Finding:
    id: UUID
    rule: str
    rule_version: str
    severity: Severity
    title: str
    source: str
    implicated: list[UUID]
    acknowledged_reason: str
    qtc_ms: int | None = strawberry.field(
        default=None, description="The latest QTc a QT rule was judged on; null: none on record."
    )
    qtc_measured_at: datetime | None = None
    exposure: Exposure | None = None

    @classmethod
    def of(cls, event: InteractionFound) -> Finding:
        return cls(
            id=event.finding_id,
            rule=event.rule_id,
            rule_version=event.rule_version,
            severity=event.severity,
            title=event.title,
            source=event.source,
            implicated=[i.id for i in event.implicated],
            acknowledged_reason=event.acknowledged_reason,
            qtc_ms=event.qtc.qtc_ms if event.qtc else None,
            qtc_measured_at=event.qtc.measured_at if event.qtc else None,
            exposure=Exposure.of(event.exposure),
        )


@strawberry.type(
    description=(
        "A new order or statement, and the findings recorded with it; a retry under the same "
        "`Idempotency-Key` answers with the same order and findings (see `Recorded`)."
    )
)
class OrderRecorded:
    id: UUID
    position: int
    findings: list[Finding]


def parsed(cls: type[V], field: str, **values: object) -> V:
    """A pydantic value from input, with a refusal naming the API field."""
    try:
        return cls.model_validate(values)
    except ValidationError as invalid:
        raise invalid_input(invalid, prefix=field) from None


def into(cls: type[D], given: object, **converted: object) -> D:
    """A command's input type from an API input of the same field names; ``converted``
    gives the fields whose API shape differs (schedules, acknowledgements, bottles)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {name: getattr(given, name) for name in names if hasattr(given, name)}
    return cls(**(values | converted))


def schedule_of(given: ScheduleInput) -> Schedule:
    return parsed(
        Schedule, "schedule", times_per_day=given.times_per_day, every_days=given.every_days
    )


def acknowledged(given: list[AcknowledgementInput]) -> Mapping[str, str]:
    for ack in given:
        if not ack.reason.strip():
            raise InvalidInput(
                "acknowledgements.reason", "reason-required", f"give a reason for {ack.rule!r}"
            )
    return {ack.rule: ack.reason for ack in given}


async def written(info: Info[RequestContext, None], command: Command[Written]) -> OrderRecorded:
    """As ``recorded``, with the interaction findings recorded alongside (replayed alike)."""
    outcome = await executed(info, command)
    return OrderRecorded(
        id=outcome.result.id,
        position=outcome.position,
        findings=[Finding.of(f) for f in outcome.result.findings],
    )


async def prescribed(info: Info[RequestContext, None], command: Command[Written]) -> OrderRecorded:
    """As ``written``; a hard stop the command recorded as refused is answered as the
    refusal error, naming the refusal's id and the position to read it at."""
    outcome = await executed(info, command)
    refused = outcome.result.refused
    if refused is not None:
        raise RuleViolation(
            refused.field,
            refused.rule_id,
            f"{refused.message}. The attempt is on the client's record as refusal"
            f" {refused.refusal_id}",
            details={"refusalId": str(refused.refusal_id), "position": outcome.position},
        )
    return OrderRecorded(
        id=outcome.result.id,
        position=outcome.position,
        findings=[Finding.of(f) for f in outcome.result.findings],
    )


def order_action(
    action: Action, build: Callable[..., Command[UUID]], **extra: object
) -> Callable[[RequestContext, OrderActionInput], Awaitable[Command[UUID]]]:
    async def command(ctx: RequestContext, given: OrderActionInput) -> Command[UUID]:
        return build(
            await ctx.gate.stamp(action, given.client_id),
            client_id=given.client_id,
            order_id=given.order_id,
            reason=given.reason,
            rules=ctx.platform.medication,
            **extra,
        )

    return command


HOLD = order_action(Action.HOLD_ORDER, commands.hold_order)
RESUME = order_action(Action.RESUME_ORDER, commands.resume_order)
IN_ERROR = order_action(Action.ENTER_ORDER_IN_ERROR, commands.discontinue_order, in_error=True)


@strawberry.type
class MedicationMutation:
    @strawberry.mutation(description="Order a medication (prescribers only).")
    async def prescribe_medication(
        self, info: Info[RequestContext, None], input: PrescribeInput
    ) -> OrderRecorded:
        ctx = info.context
        order = into(
            NewOrder,
            input,
            schedule=schedule_of(input.schedule),
            acknowledgements=acknowledged(input.acknowledgements),
        )
        return await prescribed(
            info,
            commands.prescribe(
                await ctx.gate.stamp(Action.PRESCRIBE, input.client_id),
                client_id=input.client_id,
                order=order,
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="Change the dose: a new order linked to the old one.")
    async def change_dose(
        self, info: Info[RequestContext, None], input: ChangeDoseInput
    ) -> OrderRecorded:
        ctx = info.context
        change = into(
            DoseChange,
            input,
            schedule=schedule_of(input.schedule) if input.schedule else None,
            acknowledgements=acknowledged(input.acknowledgements),
        )
        return await prescribed(
            info,
            commands.change_dose(
                await ctx.gate.stamp(Action.CHANGE_DOSE, input.client_id),
                client_id=input.client_id,
                change=change,
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="Taper an order stepwise (optionally blind).")
    async def taper_order(
        self, info: Info[RequestContext, None], input: TaperInput
    ) -> OrderRecorded:
        ctx = info.context
        steps = tuple(
            parsed(TaperStep, f"steps.{n}", start=s.start, dose=s.dose)
            for n, s in enumerate(input.steps)
        )
        taper = into(
            Taper, input, steps=steps, acknowledgements=acknowledged(input.acknowledgements)
        )
        return await prescribed(
            info,
            commands.taper_order(
                await ctx.gate.stamp(Action.TAPER_ORDER, input.client_id),
                client_id=input.client_id,
                taper=taper,
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="Put an order on hold: no doses until a prescriber resumes.")
    async def hold_order(
        self, info: Info[RequestContext, None], input: OrderActionInput
    ) -> Recorded:
        return await recorded(info, await HOLD(info.context, input))

    @strawberry.mutation(description="Lift a hold (prescribers only, also for rule-placed holds).")
    async def resume_order(
        self, info: Info[RequestContext, None], input: OrderActionInput
    ) -> Recorded:
        return await recorded(info, await RESUME(info.context, input))

    @strawberry.mutation(description="Stop an order, with the reason and when it stopped.")
    async def discontinue_order(
        self, info: Info[RequestContext, None], input: DiscontinueOrderInput
    ) -> Recorded:
        ctx = info.context
        return await admitted(
            info,
            Action.DISCONTINUE_ORDER,
            commands.discontinue_order,
            input,
            rules=ctx.platform.medication,
        )

    @strawberry.mutation(description="Mark an order entered in error; its history stays.")
    async def mark_order_entered_in_error(
        self, info: Info[RequestContext, None], input: OrderActionInput
    ) -> Recorded:
        return await recorded(info, await IN_ERROR(info.context, input))

    @strawberry.mutation(description="Record a medication the client takes from elsewhere.")
    async def record_medication_statement(
        self, info: Info[RequestContext, None], input: MedicationStatementInput
    ) -> OrderRecorded:
        ctx = info.context
        return await written(
            info,
            commands.record_statement(
                await ctx.gate.stamp(Action.RECORD_MEDICATION_STATEMENT, input.client_id),
                client_id=input.client_id,
                statement=into(Statement, input),
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="The client no longer takes a reported medication.")
    async def end_medication_statement(
        self, info: Info[RequestContext, None], input: EndMedicationStatementInput
    ) -> Recorded:
        ctx = info.context
        return await admitted(
            info,
            Action.END_MEDICATION_STATEMENT,
            commands.end_statement,
            input,
            rules=ctx.platform.medication,
        )

    @strawberry.mutation(description="Record the take-home eligibility decision.")
    async def determine_take_home_eligibility(
        self, info: Info[RequestContext, None], input: TakeHomeEligibilityInput
    ) -> Recorded:
        ctx = info.context
        criteria = tuple(
            parsed(TakeHomeCriterion, f"criteria.{n}", criterion=c.criterion, met=c.met)
            for n, c in enumerate(input.criteria)
        )
        return await recorded(
            info,
            commands.determine_take_home_eligibility(
                await ctx.gate.stamp(Action.DETERMINE_TAKE_HOME_ELIGIBILITY, input.client_id),
                client_id=input.client_id,
                decision=into(EligibilityDecision, input, criteria=criteria),
            ),
        )

    @strawberry.mutation(description="Record an observed dose given at the window.")
    async def administer_dose(
        self, info: Info[RequestContext, None], input: AdministerDoseInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            commands.administer_dose(
                await ctx.gate.stamp(Action.ADMINISTER_DOSE, input.client_id),
                client_id=input.client_id,
                dose=into(GivenDose, input),
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="Replace a spilled or vomited dose, linked to it.")
    async def replace_dose(
        self, info: Info[RequestContext, None], input: ReplaceDoseInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            commands.replace_dose(
                await ctx.gate.stamp(Action.REPLACE_DOSE, input.client_id),
                client_id=input.client_id,
                replacement=into(Replacement, input),
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="Record a due dose that was not given, with the reason.")
    async def record_dose_not_given(
        self, info: Info[RequestContext, None], input: DoseNotGivenInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            commands.record_dose_not_given(
                await ctx.gate.stamp(Action.RECORD_DOSE_NOT_GIVEN, input.client_id),
                client_id=input.client_id,
                not_given=into(NotGiven, input),
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(description="Hand over take-home doses within eligibility and caps.")
    async def dispense_take_home(
        self, info: Info[RequestContext, None], input: TakeHomeInput
    ) -> Recorded:
        ctx = info.context
        bottles = tuple(Bottle(b.bottle, b.lot) for b in input.bottles)
        return await recorded(
            info,
            commands.dispense_take_home(
                await ctx.gate.stamp(Action.DISPENSE_TAKE_HOME, input.client_id),
                client_id=input.client_id,
                take_home=into(TakeHome, input, bottles=bottles),
                rules=ctx.platform.medication,
            ),
        )

    @strawberry.mutation(
        description="Arrange for the client to dose at another program; records the"
        " disclosure to that site under the client's consent naming it."
    )
    async def arrange_guest_dosing(
        self, info: Info[RequestContext, None], input: GuestDosingInput
    ) -> Recorded:
        return await admitted(
            info, Action.ARRANGE_GUEST_DOSING, commands.arrange_guest_dosing, input
        )

    @strawberry.mutation(description="End guest dosing early: the client doses here again.")
    async def end_guest_dosing(
        self, info: Info[RequestContext, None], input: EndGuestDosingInput
    ) -> Recorded:
        return await admitted(info, Action.END_GUEST_DOSING, commands.end_guest_dosing, input)
