"""Prescribing decisions on a medication record: orders and their lifecycle.

Every step that adds to the picture runs the interaction check over what the client takes and
was recently exposed to (``findings.py``), the dose plausibility check (``doses.py``) and, for
a client in induction (new, or again after days without methadone), the initial-dose cap on its
first day's dose (``induction.py``), and in a course's first two weeks the titration limit on
how much and how soon methadone is raised (``titration.py``). An order past its end date has
ended: it is not acted on, and it counts as exposure only through its washouts. A stop may be
dated in the past, within limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from uuid import UUID

from carecoord.events import amounts
from carecoord.events.bounds import said
from carecoord.events.medication import (
    Attempt,
    Dispensing,
    DoseChanged,
    InteractionFound,
    MedicationPrescribed,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    Schedule,
    TaperOrdered,
    TaperStep,
)
from carecoord.services.kernel.clinical_time import plausible_stop
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.doses import Override, check_split
from carecoord.services.medication.exposure import ordered, picture
from carecoord.services.medication.findings import check, record_findings, record_override
from carecoord.services.medication.formulary import Medication
from carecoord.services.medication.horizon import within_horizon
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.interactions import Match
from carecoord.services.medication.monitored import NOTHING, Monitored
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.renal import renal_matches
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.medication.titration import Raise


@dataclass(frozen=True, slots=True)
class NewOrder:
    """What a prescriber asks for; a dose change or taper fills in the rest from the prior.

    ``acknowledgements`` maps a high-severity rule id to the prescriber's reason.
    """

    medication: str
    dose: Decimal
    unit: str
    route: str
    schedule: Schedule
    start: date
    end: date | None = None
    indication: str = ""
    dispensing: Dispensing | None = None
    acknowledgements: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DoseChange:
    """A new dose for ``order_id`` from ``start`` on: a new order linked to it."""

    order_id: UUID
    dose: Decimal
    start: date
    schedule: Schedule | None = None
    reason: str = ""
    acknowledgements: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Taper:
    """A stepwise schedule replacing ``order_id``; ``blind`` hides doses from the client."""

    order_id: UUID
    steps: tuple[TaperStep, ...]
    end: date | None = None
    blind: bool = False
    reason: str = ""
    acknowledgements: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None


def prescribe(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    new: NewOrder,
    monitored: Monitored = NOTHING,
) -> list[InteractionFound]:
    """``monitored`` is what check-ins recorded that rules read: the latest QTc, positive
    drug screens."""
    occurred_at = new.occurred_at
    today = rules.day_of(stamp.clock())
    written = rules.formulary.written
    new = replace(
        new,
        medication=rules.formulary.lookup(new.medication).code,
        unit=written(new.unit),
        route=written(new.route),
    )  # as the formulary writes each, for every rule and the order recorded
    drug = _validate(rules, new)
    within_horizon(new.start, today, "start", "start-within-horizon")
    for order in record.orders.values():
        if order.current_on(today) and order.medication == drug.code:
            raise RuleViolation(
                "medication",
                "one-order-per-medication",
                f"order {order.order_id} for {drug.code} is already {order.status.value};"
                " change its dose, taper or discontinue it instead",
            )
        if order.medication == drug.code:
            _after_dispensed(order, new.start)
    _no_overlap(record, rules, drug, new)
    attempt, findings = _checked(record, rules, "prescribe", order_id, drug, new, monitored, today)
    overrides = _dose_overrides(record, rules, drug, new, attempt, today, stamp.clock())
    raised = [Raise("", new.start, new.dose)]
    overrides += _titration(record, rules, None, drug.code, raised, new.acknowledgements,
                            attempt, today)  # fmt: skip
    record.record(
        stamp.event(
            MedicationPrescribed,
            record.client_id,
            occurred_at,
            order_id=order_id,
            medication=drug.code,
            dose=new.dose,
            unit=new.unit,
            route=new.route,
            schedule=new.schedule,
            start=new.start,
            end=new.end,
            indication=new.indication,
            dispensing=new.dispensing or drug.dispensing,
        )
    )
    return _recorded(record, stamp, findings, new, attempt, order_id, overrides)


def change_dose(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    change: DoseChange,
    monitored: Monitored = NOTHING,
) -> list[InteractionFound]:
    """The new order is checked afresh: a high finding is acknowledged again for it."""
    acks, prior_order_id = change.acknowledgements, change.order_id
    today = rules.day_of(stamp.clock())
    prior = _replaceable(record, rules, prior_order_id, change.start, today)
    new = _successor(
        prior, dose=change.dose, start=change.start, schedule=change.schedule, acks=acks,
        occurred_at=change.occurred_at,
    )  # fmt: skip
    if prior.end is not None and change.start > prior.end:
        raise InvalidInput(
            "start",
            "end-after-start",
            f"order {prior_order_id} ends on {prior.end}: a dose change starts by then; after"
            " it, prescribe a new order",
        )
    _changes_something(prior, new, "dose", blind=prior.blind)
    drug = _validate(rules, new)
    increase = change.dose > prior.dose_on(change.start)
    attempt, findings = _checked(
        record, rules, "change_dose", order_id, drug, new, monitored, today, prior_order_id,
        alone=increase,
    )  # fmt: skip
    overrides = _dose_overrides(record, rules, drug, new, attempt, today, stamp.clock())
    raised = [Raise("", new.start, new.dose)]
    overrides += _titration(record, rules, prior, drug.code, raised, acks, attempt, today)
    record.record(
        stamp.event(
            DoseChanged,
            record.client_id,
            change.occurred_at,
            **_order_facts(order_id, prior, new),
            prior_order_id=prior_order_id,
            prior_dose=prior.dose_on(change.start),
            reason=change.reason,
        )
    )
    return _recorded(record, stamp, findings, new, attempt, order_id, overrides)


def taper(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    given: Taper,
    monitored: Monitored = NOTHING,
) -> list[InteractionFound]:
    steps, end, acks, prior_order_id = (
        given.steps,
        given.end,
        given.acknowledgements,
        given.order_id,
    )
    if not steps:
        raise InvalidInput("steps", "taper-steps", "a taper needs at least one step")
    for n, (before, after) in enumerate(pairwise(steps), start=1):
        if after.start <= before.start:
            raise InvalidInput(
                f"steps.{n}.start",
                "taper-steps-in-order",
                f"step starting {after.start} is not after {before.start}",
            )
    if end is not None and end < steps[-1].start:
        raise InvalidInput(
            "end", "end-after-start", f"end {end} is before the last step {steps[-1].start}"
        )
    today = rules.day_of(stamp.clock())
    prior = _replaceable(record, rules, prior_order_id, steps[0].start, today, "steps.0.start")
    new = _successor(
        prior, dose=steps[0].dose, start=steps[0].start, end=end, acks=acks,
        occurred_at=given.occurred_at,
    )  # fmt: skip
    drug = rules.formulary.lookup(new.medication)
    for n, step in enumerate(steps):
        if new.end is not None and step.start > new.end:
            raise InvalidInput(
                f"steps.{n}.start",
                "end-after-start",
                f"step starting {step.start} is after the order's end ({new.end}, kept from"
                f" order {prior_order_id}); give an end on or after the last step",
            )
        rules.doses.limit(drug, f"steps.{n}.dose", step.dose)
        check_split(f"steps.{n}.dose", step.dose, new.schedule.times_per_day, drug.unit)
    _changes_something(prior, new, "steps", steps, given.blind)
    _validate(rules, new)  # the rest of the order, its first step's dose checked above
    increase = max(step.dose for step in steps) > prior.dose_on(steps[0].start)
    attempt, findings = _checked(
        record,
        rules,
        "taper",
        order_id,
        drug,
        new,
        monitored,
        today,
        prior_order_id,
        alone=increase,
    )
    highest = max(range(len(steps)), key=lambda n: steps[n].dose)
    above = attempt.model_copy(update={"dose": steps[highest].dose, "start": steps[highest].start})
    overrides = [
        (rules.doses.usual(drug, f"steps.{highest}.dose", steps[highest].dose, acks), above),
        *_first_days(record, rules, drug, "steps.0.dose", new, attempt, today),
        *_induction_steps(record, rules, drug.code, steps, acks, attempt, today),
    ]
    raises = [Raise(f"steps.{n}.", step.start, step.dose) for n, step in enumerate(steps)]
    overrides += _titration(record, rules, prior, drug.code, raises, acks, attempt, today)
    record.record(
        stamp.event(
            TaperOrdered,
            record.client_id,
            given.occurred_at,
            **_order_facts(order_id, prior, new),
            prior_order_id=prior_order_id,
            steps=steps,
            blind=given.blind,
            reason=given.reason,
        )
    )
    return _recorded(record, stamp, findings, new, attempt, order_id, overrides)


def hold(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    reason = _reason_given(reason)
    order = _current(record, rules, order_id, rules.day_of(stamp.clock()))
    if order.hold is not None:
        raise RuleViolation(
            "orderId", "order-not-on-hold", f"order is on hold {order.hold.note(rules.zone)}"
        )
    _record_hold(record, stamp, rules, OrderHeld, order, reason, occurred_at)


def resume(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    reason: str,
    acknowledgements: Mapping[str, str] | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Lift a hold, saying why as the hold did. Held orders stay in the interaction picture,
    so nothing new is found. After days without methadone, the prescriber may acknowledge
    the initial-dose cap for the first day back (``induction.py``): recorded as an override
    on the order, which the window then gives in full. Without it the order resumes all the
    same, and the window holds that day to the cap (a dose change may lower the dose)."""
    reason = _reason_given(reason)
    today = rules.day_of(occurred_at or stamp.clock())
    order = _current(record, rules, order_id, today)
    if order.hold is None:
        raise RuleViolation("orderId", "order-on-hold", f"order {order_id} is not on hold")
    acks = acknowledgements or {}
    restart = None
    if said(acks.get(INITIAL_DOSE, "")):
        dose = order.dose_on(today)
        restart = rules.initial_dose.order(
            record, order.medication, "acknowledgements", dose, acks, start=today, today=today,
            day_of=rules.day_of,
        )  # fmt: skip
    _record_hold(record, stamp, rules, OrderResumed, order, reason, occurred_at)
    if restart is not None:
        attempt = Attempt(action="resume", medication=order.medication, dose=dose,
                          unit=order.unit, route=order.route, start=today)  # fmt: skip
        record_override(record, stamp, restart, attempt, order_id, occurred_at)


def _record_hold(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    event: type[OrderHeld | OrderResumed],
    order: Order,
    reason: str,
    occurred_at: datetime | None,
) -> None:
    """A hold and its lift say the same facts, on the day the hold began or ended."""
    record.record(
        stamp.event(
            event,
            record.client_id,
            occurred_at,
            order_id=order.order_id,
            medication=order.medication,
            reason=reason,
            day=rules.day_of(occurred_at or stamp.clock()),
        )
    )


def discontinue(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    order_id: UUID,
    reason: str,
    *,
    in_error: bool = False,
    stopped_at: datetime | None = None,
    monitored: Monitored = NOTHING,
) -> None:
    """Stop an order (or mark it in error). ``stopped_at`` says when it actually stopped:
    not in the future, not more than 30 days back, not before the order's start and not
    before a dose given under it; it becomes the event's clinical time, from which the
    order counts as exposure only through its washouts.

    An order marked in error that replaced another (a dose change, a taper) puts that one
    back in force (``_reinstatement``), so the nurse at the window has an order to dose by;
    its interactions are judged afresh on the picture then, with what ``monitored`` holds.
    """
    reason = _reason_given(reason)
    order = record.order(order_id)
    today = rules.day_of(stamp.clock())
    if in_error and order.status is Status.ENTERED_IN_ERROR:
        raise RuleViolation(
            "orderId",
            "not-in-error",
            f"order was already marked in error {order.stopped_note(rules.zone)}",
        )
    if not in_error:
        _current(record, rules, order_id, today)
    if stopped_at is not None:
        _check_stop(rules, stamp, order, stopped_at)
    reinstated = _reinstatement(record, order, today) if in_error else None
    event = OrderEnteredInError if in_error else OrderDiscontinued
    record.record(
        stamp.event(
            event,
            record.client_id,
            stopped_at,
            order_id=order_id,
            medication=order.medication,
            reason=reason,
        )
    )
    if reinstated is not None:
        _reinstate(record, stamp, order, *reinstated, reason=reason, today=today)
        _recheck(record, stamp, rules, order, *reinstated, monitored=monitored, today=today)


def _reinstatement(
    record: MedicationRecord, order: Order, today: date
) -> tuple[Order, date] | None:
    """The order ``order`` replaced and the day it is back in force, when ``order`` is
    marked entered in error; None when nothing is reinstated.

    It is back in force from the correction day, or from the day after the last day
    dispensed under the cancelled order if later (that day's dose was given, or is in the
    client's hands, at the cancelled dose), or from the cancelled order's start if that is
    still to come; never on a day already dispensed, so no day is dosed twice.

    Nothing is reinstated, and the client has no order of that medication in force until a
    prescriber writes one, when:

    - the cancelled order was itself replaced since (the newer order is in force), or was
      stopped before it was marked in error (a stop was decided after it);
    - the earlier order was itself marked in error (it never stood);
    - the earlier order's own end date has passed by the day it would be back in force (it
      would have ended anyway: a prescriber decides whether treatment goes on).

    A hold on the cancelled order (a prescriber's, or the missed-dose rule's) was about the
    client, not the dose: the reinstated order is held for the same reason (``_reinstate``).
    """
    if order.prior_order_id is None or order.replaced_by is not None:
        return None
    if order.status not in (Status.ACTIVE, Status.ON_HOLD):
        return None
    earlier = record.orders[order.prior_order_id]
    if earlier.status is not Status.ACTIVE or earlier.replaced_by != order.order_id:
        return None
    dispensed = order.dispensed_days()
    after = max(dispensed) + timedelta(days=1) if dispensed else today
    start = max(today, order.start, after)
    if earlier.end_unreplaced is not None and earlier.end_unreplaced < start:
        return None
    return earlier, start


def _reinstate(
    record: MedicationRecord,
    stamp: Stamp,
    cancelled: Order,
    earlier: Order,
    start: date,
    *,
    reason: str,
    today: date,
) -> None:
    record.record(
        stamp.event(
            OrderReinstated,
            record.client_id,
            None,
            order_id=earlier.order_id,
            medication=earlier.medication,
            in_error_order_id=cancelled.order_id,
            start=start,
            end=earlier.end_unreplaced,
            reason=reason,
            blind=earlier.blind,
        )
    )
    hold = cancelled.hold
    if hold is not None:
        record.record(
            stamp.event(
                OrderHeld,
                record.client_id,
                None,
                order_id=earlier.order_id,
                medication=earlier.medication,
                reason=f"held as order {cancelled.order_id} was, on {hold.since:%Y-%m-%d} by"
                f" {hold.by}: {hold.reason}"[:500],
                rule_id=hold.rule_id,
                rule_version=hold.rule_version,
                day=today,
            )
        )


def _recheck(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    cancelled: Order,
    earlier: Order,
    start: date,
    *,
    monitored: Monitored,
    today: date,
) -> None:
    """The reinstated order against the picture, QTc and clearance it is back with: what it
    meets is recorded as findings, none acknowledged and none refused (a correction is not
    held up by a rule); a high one stays open for the prescriber to review."""
    drug = rules.formulary.lookup(earlier.medication)
    entry = ordered(earlier.order_id, drug, earlier.schedule, start, earlier.end_unreplaced)
    exposures = picture(record, rules, today, monitored)
    matches = rules.interactions.check(entry, exposures, monitored.qtc)
    matches += renal_matches(rules.renal, entry, earlier.dose_on(start), monitored.clearance)
    attempt = Attempt(
        action="reinstate",
        medication=earlier.medication,
        dose=earlier.dose_on(start),
        unit=earlier.unit,
        route=earlier.route,
        start=start,
        prior_order_id=cancelled.order_id,
    )
    record_findings(record, stamp, matches, {}, None, attempt)


def _reason_given(reason: str) -> str:
    """A hold, its lift or a stop says why: blanks (spaces, zero-width characters) pass the event's
    length check but say nothing."""
    given = said(reason)
    if not given:
        raise InvalidInput("reason", "reason-required", "say why (intoxicated, switching, ...)")
    return given


def _check_stop(rules: MedicationRules, stamp: Stamp, order: Order, stopped_at: datetime) -> None:
    plausible_stop("stoppedAt", stopped_at, now=stamp.clock())
    day = rules.day_of(stopped_at)
    if day < order.start:
        raise InvalidInput(
            "stoppedAt",
            "stop-after-start",
            f"stoppedAt {day} is before the order's start ({order.start})",
        )
    given = [order.charted[d].given_at for doses in order.doses_on.values() for d in doses]
    last = max(given, default=None)
    if last is not None and last > stopped_at:
        given_at, stop = (t.astimezone(rules.zone) for t in (last, stopped_at))
        raise RuleViolation(
            "stoppedAt",
            "stop-after-last-dose",
            f"a dose was given under this order at {given_at:%Y-%m-%d %H:%M}; it cannot have"
            f" stopped at {stop:%Y-%m-%d %H:%M}",
        )


def _checked(
    record: MedicationRecord,
    rules: MedicationRules,
    action: str,
    order_id: UUID,
    drug: Medication,
    new: NewOrder,
    monitored: Monitored,
    today: date,
    prior_order_id: UUID | None = None,
    *,
    alone: bool = True,
) -> tuple[Attempt, list[Match]]:
    """A new order's findings, judged without the order it replaces, and the attempt they
    name (a refusal or an override records it). ``alone``: a new medication or a higher
    dose, which rules on the latest QTc alone judge (a reduction they leave be)."""
    attempt = Attempt(
        action=action,
        medication=drug.code,
        dose=new.dose,
        unit=new.unit,
        route=new.route,
        start=new.start,
        prior_order_id=prior_order_id,
    )
    entry = ordered(order_id, drug, new.schedule, new.start, new.end)
    acks = new.acknowledgements
    findings = check(
        record,
        rules,
        entry,
        acks,
        monitored,
        attempt,
        today,
        replacing=prior_order_id,
        alone=alone,
    )
    return attempt, findings


def _dose_overrides(
    record: MedicationRecord,
    rules: MedicationRules,
    drug: Medication,
    new: NewOrder,
    attempt: Attempt,
    today: date,
    now: datetime,
) -> list[tuple[Override | None, Attempt]]:
    """The dose rules an order's ``dose`` went past (the usual maximum, extended-release
    buprenorphine for a client with none on record, a first buprenorphine within a day of
    methadone, and the initial-dose cap for a client in induction, new or after a gap), each
    with the attempt it names; refused unacknowledged."""
    acks = new.acknowledgements
    usual = rules.doses.usual(drug, "dose", new.dose, acks)
    xr = rules.xr_initiation.order(record, drug.code, new.start, acks, rules.day_of)
    switch = rules.methadone_switch.order(record, drug.code, new.start, acks, rules.zone, now)
    first_days = _first_days(record, rules, drug, "dose", new, attempt, today)
    return [(usual, attempt), (xr, attempt), (switch, attempt), *first_days]


def _first_days(
    record: MedicationRecord,
    rules: MedicationRules,
    drug: Medication,
    sent_as: str,
    new: NewOrder,
    attempt: Attempt,
    today: date,
) -> list[tuple[Override | None, Attempt]]:
    """The induction caps (``induction.py``) an order's first-day ``dose``, sent as
    ``sent_as``, went past for a client in induction, each with the attempt it names."""
    acks = new.acknowledgements
    return [
        (induction.order(record, drug.code, sent_as, new.dose, acks, start=new.start, today=today,
                         day_of=rules.day_of), attempt)
        for induction in rules.inductions
    ]  # fmt: skip


def _induction_steps(
    record: MedicationRecord,
    rules: MedicationRules,
    medication: str,
    steps: tuple[TaperStep, ...],
    acks: Mapping[str, str],
    attempt: Attempt,
    today: date,
) -> list[tuple[Override | None, Attempt]]:
    """The induction caps a taper's later steps went past (buprenorphine's day 2), each with
    the attempt it names (the step); refused unacknowledged. Recorded on the order, the
    acknowledgement is what the window, holding those days to the caps, reads."""
    found: list[tuple[Override | None, Attempt]] = []
    for induction in rules.inductions:
        asked = induction.steps(
            record, medication, [(s.start, s.dose) for s in steps], acks, today=today,
            day_of=rules.day_of,
        )  # fmt: skip
        if asked is not None:
            override, n = asked
            step = attempt.model_copy(update={"dose": steps[n].dose, "start": steps[n].start})
            found.append((override, step))
    return found


def _titration(
    record: MedicationRecord,
    rules: MedicationRules,
    prior: Order | None,
    medication: str,
    raises: list[Raise],
    acks: Mapping[str, str],
    attempt: Attempt,
    today: date,
) -> list[tuple[Override | None, Attempt]]:
    """The titration limit a new order, change or taper went past in a course's first days
    (over the dose of the order ``prior`` it replaces), with the attempt it names (the step
    that went past it); refused unacknowledged."""
    in_force = None if prior is None else prior.dose_on(raises[0].start)
    found = rules.titration.order(
        record, rules.initial_dose, medication, raises, in_force, acks, today=today,
        day_of=rules.day_of,
    )  # fmt: skip
    if found is None:
        return []
    override, n = found
    named = attempt.model_copy(update={"dose": raises[n].dose, "start": raises[n].start})
    return [(override, named)]


def _recorded(
    record: MedicationRecord,
    stamp: Stamp,
    matches: list[Match],
    new: NewOrder,
    attempt: Attempt,
    order_id: UUID,
    overrides: Iterable[tuple[Override | None, Attempt]],
) -> list[InteractionFound]:
    """After the order: its findings, and the dose overrides it needed, each naming the
    attempt as its rule judged it (a taper's highest step for the usual maximum, its first
    for the initial dose)."""
    found = record_findings(record, stamp, matches, new.acknowledgements, new.occurred_at, attempt)
    for override, named in overrides:
        if override is not None:
            record_override(record, stamp, override, named, order_id, new.occurred_at)
    return found


def _validate(rules: MedicationRules, new: NewOrder) -> Medication:
    drug = rules.formulary.lookup(new.medication)
    rules.doses.limit(drug, "dose", new.dose)
    if new.unit != drug.unit:
        raise InvalidInput("unit", "formulary-unit", f"{drug.name} is dosed in {drug.unit}")
    check_split("dose", new.dose, new.schedule.times_per_day, drug.unit)
    if new.schedule.every_days < drug.acts_days:
        raise InvalidInput(
            "schedule.everyDays",
            "dosing-interval",
            f"one dose of {drug.name} acts {drug.acts_days} days: dose it every"
            f" {drug.acts_days} days or more, not every {new.schedule.every_days}",
        )
    if new.route not in drug.routes:
        raise InvalidInput(
            "route", "formulary-route", f"{drug.name} routes: {', '.join(drug.routes)}"
        )
    if new.end is not None and new.end < new.start:
        raise InvalidInput("end", "end-after-start", f"end {new.end} is before start {new.start}")
    if _program_only(drug) and new.dispensing is Dispensing.PHARMACY:
        raise InvalidInput(
            "dispensing",
            "clinic-dispensed",
            f"{drug.name} ({drug.dea_schedule}) for opioid use disorder is dispensed by the"
            " program, never filled by a pharmacy (21 CFR 1306.07(a))",
        )
    return drug


def _program_only(drug: Medication) -> bool:
    """A Schedule II medication the program dispenses (methadone): no pharmacy may fill it
    for opioid use disorder; a Schedule III one (buprenorphine) a pharmacy may."""
    return drug.dispensing is Dispensing.CLINIC and drug.dea_schedule == "CII"


def _current(
    record: MedicationRecord, rules: MedicationRules, order_id: UUID, today: date
) -> Order:
    order = record.order(order_id)
    if order.replaced_by is not None:
        raise RuleViolation(
            "orderId",
            "order-current",
            f"order {order_id} was replaced by order {order.replaced_by}; act on that one",
        )
    if order.status in (Status.STOPPED, Status.ENTERED_IN_ERROR):
        raise RuleViolation(
            "orderId",
            "order-current",
            f"order {order_id} is {order.status.value} {order.stopped_note(rules.zone)}",
        )
    if order.ended(today):
        raise RuleViolation(
            "orderId",
            "order-current",
            f"order {order_id} ended on {order.end}; prescribe a new order instead",
        )
    return order


def _replaceable(
    record: MedicationRecord,
    rules: MedicationRules,
    prior_order_id: UUID,
    start: date,
    today: date,
    field: str = "start",
) -> Order:
    """The order a change or taper replaces; nothing may be dispensed under it from ``start``,
    which the request sent as ``field`` (a taper's first step)."""
    within_horizon(start, today, field, "start-within-horizon")
    prior = _current(record, rules, prior_order_id, today)
    if prior.hold is not None:
        raise RuleViolation(
            "orderId",
            "order-not-on-hold",
            f"order is on hold {prior.hold.note(rules.zone)}; resume it first",
        )
    if start < prior.start:
        raise InvalidInput(
            field, "start-after-prior", f"the new order cannot start before {prior.start}"
        )
    _after_dispensed(prior, start, field)
    return prior


def _after_dispensed(earlier: Order, start: date, field: str = "start") -> None:
    """A new order of the same medication (a change, a taper, a restart after a stop) starts
    after the last day dispensed under ``earlier``: that day's dose was given or is in hand."""
    dispensed = [day for day, _ in (*earlier.given, *earlier.take_home) if day >= start]
    if dispensed:
        last = max(dispensed)
        raise RuleViolation(
            field,
            "start-after-last-dispensed",
            f"order {earlier.order_id} has doses given or taken home through {last};"
            f" start the new order on {last + timedelta(days=1)} or later",
        )


def _no_overlap(
    record: MedicationRecord, rules: MedicationRules, drug: Medication, new: NewOrder
) -> None:
    """Refuse a new order whose days an order of the medication already covered, as one in
    force today is refused: an order entered late (a paper order charted after a downtime,
    ``start`` in the past) meets orders that have ended, been replaced or stopped since, and
    two orders for the same days would each be missed on every day without a dose. A stopped
    order covers the days before the day it stopped: a new order may start that day (a stop
    and a new order the same morning), after the last day dispensed (``_after_dispensed``)."""
    for order in record.orders.values():
        if order.medication != drug.code or order.status is Status.ENTERED_IN_ERROR:
            continue
        last = order.end
        if order.stopped_at is not None:
            stopped = rules.day_of(order.stopped_at) - timedelta(days=1)
            last = stopped if last is None else min(last, stopped)
        if last is None or last < order.start:
            continue
        if new.start > last or (new.end is not None and new.end < order.start):
            continue
        inside = new.start >= order.start
        instead = f"start the new order after {last}"
        raise RuleViolation(
            "start" if inside else "end",
            "one-order-per-medication",
            f"order {order.order_id} for {drug.code} covered {order.start} to {last}; "
            + (instead if inside else f"end the new order before {order.start} or {instead}"),
        )


def _successor(
    prior: Order,
    *,
    dose: Decimal,
    start: date,
    acks: Mapping[str, str],
    occurred_at: datetime | None,
    schedule: Schedule | None = None,
    end: date | None = None,
) -> NewOrder:
    return NewOrder(
        medication=prior.medication,
        dose=dose,
        unit=prior.unit,
        route=prior.route,
        schedule=schedule or prior.schedule,
        start=start,
        end=end if end is not None else prior.end,
        dispensing=prior.dispensing,
        acknowledgements=acks,
        occurred_at=occurred_at,
    )


def _changes_something(
    prior: Order, new: NewOrder, field: str, steps: tuple[TaperStep, ...] = (), blind: bool = False
) -> None:
    """Refuse a dose change or taper that leaves every dose from its start, the schedule, the
    end and what the client is shown as the order has them, and carries no acknowledgement:
    it replaced the order with its twin and put "40 mg -> 40 mg" on the record, where a
    prescriber had most likely left the new dose untyped. With acknowledgements it is the
    order written again to carry them (a restart after days without methadone keeps its dose
    so)."""
    twin = replace(prior, dose=new.dose, steps=steps)
    days = {new.start, *(step.start for step in (*steps, *prior.steps) if step.start > new.start)}
    if (
        new.acknowledgements
        or (new.schedule, new.end, blind) != (prior.schedule, prior.end, prior.blind)
        or any(twin.dose_on(day) != prior.dose_on(day) for day in days)
    ):
        return
    raise InvalidInput(
        field,
        "dose-unchanged",
        f"the order gives {amounts.shown(new.dose)} {new.unit} from {new.start} already, on the"
        " same schedule: give the new dose or schedule, or the acknowledgements the order is"
        " written again to carry",
    )


def _order_facts(order_id: UUID, prior: Order, new: NewOrder) -> dict[str, object]:
    return {
        "order_id": order_id,
        "medication": new.medication,
        "dose": new.dose,
        "unit": new.unit,
        "route": new.route,
        "schedule": new.schedule,
        "start": new.start,
        "end": new.end,
        "dispensing": prior.dispensing,
    }
