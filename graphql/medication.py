"""Prescribing and dispensing through the API: parse, call a command, shape the answer.

Every mutation returns what it recorded and the position to wait for (`atLeast`);
prescribing steps also return the interaction findings recorded with the order. A step a
hard-stop rule refused answers with the refusal error, as it always did; the command has
recorded the attempt on the client's record first, and the error names its id and
position (``extensions.refusalId``, ``extensions.position``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from annotated_types import MaxLen
from pydantic import BaseModel, ValidationError
from strawberry.types import Info

from carecoord.events.bounds import said, text_problem, visible
from carecoord.events.medication import (
    ExposureEvidence,
    InteractionFound,
    OverrideAcknowledged,
    Schedule,
    Severity,
    TakeHomeCriterion,
    TaperStep,
)
from carecoord.graphql import medication_safety  # noqa: F401  (registers the GraphQL `Severity` enum)
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import (
    Converter,
    built,
    client_mutation,
    fields_of,
    into,
    medication_rules,
)
from carecoord.graphql.idempotency import executed
from carecoord.graphql.medication_inputs import (
    AdministerDoseInput,
    ChangeDoseInput,
    DiscontinueOrderInput,
    DoseInErrorInput,
    DoseNotGivenInput,
    EndGuestDosingInput,
    EndMedicationStatementInput,
    GuestDosingInput,
    MedicationStatementInput,
    NotGivenInErrorInput,
    OrderActionInput,
    PrescribeInput,
    ReplaceDoseInput,
    ResumeOrderInput,
    StatementInErrorInput,
    TakeHomeEligibilityInput,
    TakeHomeInErrorInput,
    TakeHomeInput,
    TakeHomeReturnInput,
    TakeHomeReturnWitnessInput,
    TaperInput,
)
from carecoord.graphql.seqs import Seq
from carecoord.services.infrastructure.commands import Outcome
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.given_once import given_once
from carecoord.services.kernel.stamp import invalid_input
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication import commands
from carecoord.services.medication.commands import NotGivenRecorded, Written
from carecoord.services.medication.dispensing import (
    Bottle,
    GivenDose,
    InError,
    NotGiven,
    NotGivenInError,
    Replacement,
    TakeHome,
    TakeHomeInError,
)
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.prescribing import DoseChange, NewOrder, Taper
from carecoord.services.medication.returns import BottleBack, Returned, TakeHomeReturn
from carecoord.services.medication.statements import Statement

V = TypeVar("V", bound=BaseModel)

CLIENT = ("client_id",)
"""The input field a command taking one value made of the rest still takes as it is."""


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
        return None if found is None else into(cls, found)


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
    creatinine_clearance_ml_min: int | None = strawberry.field(
        default=None,
        description="The latest creatinine clearance a renal rule (acamprosate) was judged on.",
    )
    creatinine_clearance_measured_at: datetime | None = None
    exposure: Exposure | None = None

    @classmethod
    def of(cls, event: InteractionFound) -> Finding:
        return into(
            cls,
            event,
            id=event.finding_id,
            rule=event.rule_id,
            implicated=[i.id for i in event.implicated],
            qtc_ms=event.qtc.qtc_ms if event.qtc else None,
            qtc_measured_at=event.qtc.measured_at if event.qtc else None,
            creatinine_clearance_ml_min=event.clearance.ml_min if event.clearance else None,
            creatinine_clearance_measured_at=(
                event.clearance.measured_at if event.clearance else None
            ),
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
    position: Seq
    findings: list[Finding]


@strawberry.type(
    description="A dose not given: `id` is its order, as it always was; `entryId` its own, which"
    " `markDoseNotGivenEnteredInError` takes (see `Recorded`)."
)
class DoseNotGivenRecorded:
    id: UUID
    position: Seq
    entry_id: UUID


@strawberry.type(description="A take-home bottle out: its take-home, day, slot and lot.")
class BottleOut:
    dispense_id: UUID
    day: date
    slot: int
    lot: str


@strawberry.type(
    description="Bottles returned: `id` is the return's; `stillOut` the bottles a"
    " take-home-recall names (of a stopped or held order, or any after a discharge) still"
    " out, none once the recall is resolved (see `Recorded`)."
)
class TakeHomeReturnRecorded:
    id: UUID
    position: Seq
    still_out: list[BottleOut]


async def return_recorded(
    info: Info[RequestContext, None], command: Command[Returned]
) -> TakeHomeReturnRecorded:
    outcome = await executed(info, command)
    out = [
        BottleOut(dispense_id=dispense_id, day=b.day, slot=b.slot, lot=b.lot)
        for dispense_id, b in outcome.result.still_out
    ]
    return TakeHomeReturnRecorded(
        id=outcome.result.return_id, position=Seq(outcome.position), still_out=out
    )


async def not_given_recorded(
    info: Info[RequestContext, None], command: Command[NotGivenRecorded]
) -> DoseNotGivenRecorded:
    outcome = await executed(info, command)
    kept: object = outcome.result
    # Kept under its idempotency key by a release before entries had ids: the order's id
    # alone, and the entry is the one event the command recorded. A retry across the
    # upgrade failed as an internal error.
    recorded = (
        kept
        if isinstance(kept, NotGivenRecorded)
        else NotGivenRecorded(UUID(str(kept)), outcome.event_ids[0])
    )
    return DoseNotGivenRecorded(
        id=recorded.order_id, position=Seq(outcome.position), entry_id=recorded.entry_id
    )


def parsed(cls: type[V], field: str, given: object) -> V:
    """A pydantic value from an input of the same fields, with a refusal naming the API
    field."""
    try:
        return cls.model_validate(fields_of(given))
    except ValidationError as invalid:
        raise invalid_input(invalid, prefix=field) from None


def each(cls: type[V], field: str) -> Callable[[Any], tuple[V, ...]]:
    """The converter of the input's list ``field`` into ``cls`` values, a refusal naming
    the entry."""
    return lambda given: tuple(
        parsed(cls, f"{field}.{n}", item) for n, item in enumerate(getattr(given, field))
    )


def schedule_of(given: PrescribeInput | ChangeDoseInput) -> Schedule | None:
    return None if given.schedule is None else parsed(Schedule, "schedule", given.schedule)


ACKNOWLEDGED_MAX = next(
    m.max_length
    for m in OverrideAcknowledged.model_fields["reason"].metadata
    if isinstance(m, MaxLen)
)
"""An acknowledgement's reason is the reason of the override it records."""


def acknowledged(
    given: PrescribeInput | ChangeDoseInput | TaperInput | ResumeOrderInput,
) -> Mapping[str, str]:
    """Each reason shows something and fits the override it becomes: refused here, before
    the order is recorded, naming the field it was sent in. A rule acknowledged twice is
    refused too: one of its two reasons was dropped unsaid."""
    given_once(
        (ack.rule for ack in given.acknowledgements),
        "acknowledgements",
        "rule",
        "acknowledged-once",
        lambda rule: f"{rule!r} is acknowledged twice; give each rule one reason",
    )
    for ack in given.acknowledgements:
        if not visible(ack.reason):
            raise InvalidInput(
                "acknowledgements.reason", "reason-required", f"give a reason for {ack.rule!r}"
            )
        problem = text_problem(said(ack.reason), ACKNOWLEDGED_MAX)
        if problem is not None:
            raise InvalidInput(
                "acknowledgements.reason", "value-bounds", f"acknowledgements.reason {problem}"
            )
    return {ack.rule: ack.reason for ack in given.acknowledgements}


def bottles_of(given: TakeHomeInput) -> tuple[Bottle, ...]:
    return tuple(Bottle(b.bottle, b.lot) for b in given.bottles)


def bottles_back(given: TakeHomeReturnInput) -> tuple[BottleBack, ...]:
    return tuple(BottleBack(b.dispense_id, b.day, b.slot, b.lot, b.amount) for b in given.bottles)


def order_recorded(outcome: Outcome[Written]) -> OrderRecorded:
    return OrderRecorded(
        id=outcome.result.id,
        position=Seq(outcome.position),
        findings=[Finding.of(f) for f in outcome.result.findings],
    )


async def written(info: Info[RequestContext, None], command: Command[Written]) -> OrderRecorded:
    """As ``recorded``, with the interaction findings recorded alongside (replayed alike)."""
    return order_recorded(await executed(info, command))


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
            details={
                "refusalId": str(refused.refusal_id),
                "position": outcome.position,
                "ruleVersion": refused.rule_version,
            },
        )
    return order_recorded(outcome)


medication_mutation = partial(client_mutation, rules=medication_rules)
"""A mutation whose command decides by the program's medication rules."""
medication_step = partial(medication_mutation, fields=CLIENT)
"""A step on the client's medication record: its command takes the client, one value made
of the rest of the input (a keyword argument: the command's keyword, and how it is made)
and the program's medication rules."""


def prescribing(
    description: str,
    action: Action,
    command: Callable[..., Command[Written]],
    input_type: type,
    value: str,
    cls: type,
    **converters: Converter,
) -> Any:
    """A prescribing step: the order ``command`` writes is its ``value``, a ``cls`` made of
    the input with its acknowledgements checked; a hard stop answers as the refusal."""
    order: Converter = built(cls, acknowledgements=acknowledged, **converters)
    return medication_step(
        description, action, command, input_type, answer=prescribed, **{value: order}
    )


@strawberry.type
class MedicationMutation:
    prescribe_medication = prescribing(
        "Order a medication (prescribers only).",
        Action.PRESCRIBE,
        commands.prescribe,
        PrescribeInput,
        "order",
        NewOrder,
        schedule=schedule_of,
    )
    change_dose = prescribing(
        "Change the dose: a new order linked to the old one.",
        Action.CHANGE_DOSE,
        commands.change_dose,
        ChangeDoseInput,
        "change",
        DoseChange,
        schedule=schedule_of,
    )
    taper_order = prescribing(
        "Taper an order stepwise (optionally blind).",
        Action.TAPER_ORDER,
        commands.taper_order,
        TaperInput,
        "taper",
        Taper,
        steps=each(TaperStep, "steps"),
    )
    hold_order = medication_mutation(
        "Put an order on hold: no doses until a prescriber resumes.",
        Action.HOLD_ORDER,
        commands.hold_order,
        OrderActionInput,
        alerting=True,
    )
    resume_order = medication_mutation(
        "Lift a hold (prescribers only, also for rule-placed holds).",
        Action.RESUME_ORDER,
        commands.resume_order,
        ResumeOrderInput,
        acknowledgements=acknowledged,
    )
    discontinue_order = medication_mutation(
        "Stop an order, with the reason and when it stopped.",
        Action.DISCONTINUE_ORDER,
        commands.discontinue_order,
        DiscontinueOrderInput,
        alerting=True,
    )
    mark_order_entered_in_error = medication_mutation(
        "Mark an order entered in error; its history stays.",
        Action.ENTER_ORDER_IN_ERROR,
        partial(commands.discontinue_order, in_error=True),
        OrderActionInput,
        alerting=True,
    )
    record_medication_statement = medication_step(
        "Record a medication the client takes from elsewhere.",
        Action.RECORD_MEDICATION_STATEMENT,
        commands.record_statement,
        MedicationStatementInput,
        answer=written,
        statement=built(Statement),
    )
    end_medication_statement = medication_mutation(
        "The client no longer takes a reported medication.",
        Action.END_MEDICATION_STATEMENT,
        commands.end_statement,
        EndMedicationStatementInput,
    )
    mark_medication_statement_entered_in_error = medication_mutation(
        "Mark a medication statement entered in error (wrong client, never taken); its"
        " record stays and it leaves the interaction picture.",
        Action.ENTER_STATEMENT_IN_ERROR,
        commands.mark_statement_entered_in_error,
        StatementInErrorInput,
    )
    determine_take_home_eligibility = client_mutation(
        "Record the take-home eligibility decision.",
        Action.DETERMINE_TAKE_HOME_ELIGIBILITY,
        commands.determine_take_home_eligibility,
        TakeHomeEligibilityInput,
        fields=CLIENT,
        decision=built(EligibilityDecision, criteria=each(TakeHomeCriterion, "criteria")),
    )
    administer_dose = medication_step(
        "Record an observed dose given at the window.",
        Action.ADMINISTER_DOSE,
        commands.administer_dose,
        AdministerDoseInput,
        dose=built(GivenDose),
    )
    replace_dose = medication_step(
        "Replace a spilled or vomited dose, linked to it.",
        Action.REPLACE_DOSE,
        commands.replace_dose,
        ReplaceDoseInput,
        replacement=built(Replacement),
    )
    mark_dose_entered_in_error = medication_step(
        "Mark a dose given at the window entered in error (wrong client, never given);"
        " the dose's record stays and its slot is free again.",
        Action.ENTER_DOSE_IN_ERROR,
        commands.mark_dose_entered_in_error,
        DoseInErrorInput,
        in_error=built(InError),
    )
    record_dose_not_given = medication_step(
        "Record a due dose that was not given, with the reason.",
        Action.RECORD_DOSE_NOT_GIVEN,
        commands.record_dose_not_given,
        DoseNotGivenInput,
        answer=not_given_recorded,
        not_given=built(NotGiven),
    )
    mark_dose_not_given_entered_in_error = medication_step(
        "Mark a dose not given entered in error (wrong client, wrong day); its record stays"
        " and it no longer accounts for its day.",
        Action.ENTER_NOT_GIVEN_IN_ERROR,
        commands.mark_not_given_entered_in_error,
        NotGivenInErrorInput,
        in_error=built(NotGivenInError),
    )
    dispense_take_home = medication_step(
        "Hand over take-home doses within eligibility and caps.",
        Action.DISPENSE_TAKE_HOME,
        commands.dispense_take_home,
        TakeHomeInput,
        take_home=built(TakeHome, bottles=bottles_of),
    )
    mark_take_home_entered_in_error = medication_step(
        "Mark a take-home entered in error (wrong client, never handed over); the hand-over's"
        " record stays and the days its bottles covered are free again.",
        Action.ENTER_TAKE_HOME_IN_ERROR,
        commands.mark_take_home_entered_in_error,
        TakeHomeInErrorInput,
        in_error=built(TakeHomeInError),
    )
    return_take_home = medication_step(
        "Record take-home bottles the client brought back, witnessed and destroyed; a"
        " recall alert is resolved once no recalled bottle is out.",
        Action.RETURN_TAKE_HOME,
        commands.return_take_home,
        TakeHomeReturnInput,
        answer=return_recorded,
        returned=built(TakeHomeReturn, bottles=bottles_back),
    )
    witness_take_home_return = medication_mutation(
        "Confirm, as the witness it names, a take-home return you watched counted and"
        " destroyed; refused to anyone else (named-witness) and once confirmed (witnessed).",
        Action.WITNESS_TAKE_HOME_RETURN,
        commands.witness_take_home_return,
        TakeHomeReturnWitnessInput,
    )
    arrange_guest_dosing = client_mutation(
        "Arrange for the client to dose at another program; records the"
        " disclosure to that site under the client's consent naming it.",
        Action.ARRANGE_GUEST_DOSING,
        commands.arrange_guest_dosing,
        GuestDosingInput,
    )
    end_guest_dosing = client_mutation(
        "End guest dosing early: the client doses here again.",
        Action.END_GUEST_DOSING,
        commands.end_guest_dosing,
        EndGuestDosingInput,
    )
