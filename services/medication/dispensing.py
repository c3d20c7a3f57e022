"""Dispensing decisions: observed doses, doses not given, replacements, doses and doses not
given entered in error, take-homes and take-homes entered in error, guest dosing, and the
missed-dose rule's events.

The invariants, checked against the record in the same transaction that records: no dose
against an order that is not active on that day (held, discontinued, replaced, not yet started,
ended, or the client guest dosing elsewhere); no more than the prescribed amount per slot and
per day; one dose per slot (an observed dose or a take-home bottle); take-home supply within
the client's eligibility and the program's cap, and none after a methadone restart until
eligibility is determined again (``eligibility.py``); on a client's first dosing day of
methadone, or the first after days without it, no more than the initial-dose cap unless the
order carries the prescriber's acknowledgement (``induction.py``). A "day" is the program's
local day (``MedicationRules.day_of``), so a dose at 23:30 counts for that day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from uuid import UUID

from pydantic import ValidationError

from carecoord.events import amounts
from carecoord.events.bounds import said
from carecoord.events.medication import (
    Dispensing,
    DoseAdministered,
    DoseEnteredInError,
    DoseMissed,
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    GuestDosingArranged,
    GuestDosingEnded,
    NotGivenReason,
    OrderHeld,
    TakeHomeBottle,
    TakeHomeDispensed,
    TakeHomeEnteredInError,
)
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.given_once import given_once
from carecoord.services.kernel.stamp import Stamp, invalid_input
from carecoord.services.kernel.visible_names import shown
from carecoord.services.medication.doses import check_amount
from carecoord.services.medication.eligibility import check_restart
from carecoord.services.medication.formulary import Medication
from carecoord.services.medication.induction import day_total
from carecoord.services.medication.missed import Missed, missed_days, never
from carecoord.services.medication.orders import Charted, HandedOver, Hold, Order, Status
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.medication.take_homes import TREATMENTS, day_in_treatment, supply_days

TOLD_MAX = 900
"""What a guest site is told fits the disclosure's description (1000 characters) with its
prefix; past this, dose steps are told in short."""
INJECTED = frozenset({"subcutaneous", "intramuscular", "intravenous"})
"""Routes a clinician gives: an extended-release injection is never handed over (the
buprenorphine extended-release REMS: harm or death if self-injected into a vein)."""
TAKE_HOME_DAYS_MAX = 90
"""The longest span one take-home hand-over may cover (the longest dosing interval): far
past any take-home cap, and a bound on the days a request makes the record look at."""
IN_ERROR_DETAIL = "the entry's detail: read clientDosing"
"""Where a mark of entered in error's reason is read: a refusal never quotes it."""


@dataclass(frozen=True, slots=True)
class Bottle:
    bottle: str
    lot: str


@dataclass(frozen=True, slots=True)
class GivenDose:
    """An observed dose at the window; ``given_at`` defaults to now."""

    order_id: UUID
    amount: Decimal
    dosage_form: str
    slot: int = 1
    given_at: datetime | None = None
    lot: str = ""
    bottle: str = ""


@dataclass(frozen=True, slots=True)
class Replacement:
    """A dose replacing ``replaces_dose_id`` (spilled, vomited) on the same day."""

    order_id: UUID
    replaces_dose_id: UUID
    amount: Decimal
    dosage_form: str
    reason: str
    given_at: datetime | None = None
    lot: str = ""
    bottle: str = ""


@dataclass(frozen=True, slots=True)
class InError:
    """A dose given at the window that was charted in error (wrong client, never given)."""

    dose_id: UUID
    reason: str


@dataclass(frozen=True, slots=True)
class TakeHomeInError:
    """A take-home that was charted in error (for the wrong client, never handed over)."""

    dispense_id: UUID
    reason: str


@dataclass(frozen=True, slots=True)
class NotGiven:
    order_id: UUID
    reason: NotGivenReason
    slot: int = 1
    note: str = ""
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NotGivenInError:
    """A dose not given that was charted in error (the wrong client, the wrong day)."""

    entry_id: UUID
    reason: str


@dataclass(frozen=True, slots=True)
class TakeHome:
    """Take-home doses from ``first_day`` for ``days`` days, one bottle per dose in order."""

    order_id: UUID
    first_day: date
    days: int
    dosage_form: str
    bottles: tuple[Bottle, ...]
    handed_over_at: datetime | None = None


def administer(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    dose_id: UUID,
    given: GivenDose,
    *,
    site: str,
) -> None:
    """An observed dose from ``site``'s stock (the client's program)."""
    amount, slot, dosage_form = given.amount, given.slot, given.dosage_form
    given_at = given.given_at or stamp.clock()
    order = record.order(given.order_id)
    drug = rules.formulary.lookup(order.medication)
    day = rules.day_of(given_at)
    check_amount("amount", amount)
    _check_slot(order, slot)
    _check_form(drug, dosage_form)
    _check_active(record, rules, order, day, any_day=drug.early_days > 0, given_at=given_at)
    _check_interval(record, order, drug, day)
    _check_not_held_at(order, given_at, rules.zone)
    _check_after_written(order, given_at, rules)
    _check_free(order, day, slot)
    per_slot = order.per_slot(day)
    if amount > per_slot:
        raise RuleViolation(
            "amount",
            "prescribed-amount",
            f"at most {amounts.shown(per_slot)} {order.unit} per dose is prescribed on {day},"
            f" got {amount}",
        )
    already, daily = _given_on(record, order.medication, day), order.dose_on(day)
    if already + amount > daily:
        raise RuleViolation(
            "amount",
            "daily-amount",
            f"{amounts.shown(already)} of {amounts.shown(daily)} {order.unit} prescribed for"
            f" {day} were already given; at most"
            f" {amounts.shown(max(daily - already, Decimal(0)))} {order.unit} more",
        )
    for induction in rules.inductions:
        induction.dispensed(record, order, "amount", [(day, amount)], rules.day_of, day)
    rules.xr_initiation.given(record, order, given_at, rules.day_of)
    rules.methadone_switch.given(record, order, given_at, rules.zone, stamp.clock())
    rules.spacing.given(record, order, given_at, rules.day_of)
    _record_dose(record, stamp, order, drug, dose_id, given, site, given_at, slot, day)


def _given_on(record: MedicationRecord, medication: str, day: date) -> Decimal:
    """What the client took of ``medication`` for ``day``, at the window or in a take-home
    bottle, under any of its orders: a dose or bottle charted late under an order stopped
    that morning and a dose given under the order that followed it are one day's intake,
    held to the dose of the order being dosed."""
    return day_total(record, frozenset({medication}), day)


def _check_other_orders(
    record: MedicationRecord, order: Order, days: list[date], first_day: date
) -> None:
    """Refuse a take-home for a day another order of the medication dosed (a bottle charted
    late under an order stopped that morning, beside the order that followed it, which its
    slots alone did not see), naming ``firstDay`` or ``days`` as ``_check_free`` does."""
    for day in days:
        other = next(
            (o for o in record.orders.values()
             if o.medication == order.medication and o is not order and o.dosed_on(day)),
            None,
        )  # fmt: skip
        if other is not None:
            raise RuleViolation(
                "firstDay" if day == first_day else "days",
                "one-dose-per-slot",
                f"{day} is already dosed under order {other.order_id} of {order.medication};"
                " a take-home under another order would be a second dose that day",
            )


def replace_dose(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    dose_id: UUID,
    given: Replacement,
    *,
    site: str,
) -> None:
    """A dose spilled or vomited is replaced, linked to the original, on the same day."""
    order_id, replaces_dose_id, amount = given.order_id, given.replaces_dose_id, given.amount
    reason, dosage_form = said(given.reason), given.dosage_form
    given_at = given.given_at or stamp.clock()
    order = record.order(order_id)
    drug = rules.formulary.lookup(order.medication)
    if not reason:
        raise InvalidInput(
            "reason", "replacement-reason", "say why the dose is replaced (spilled, vomited, ...)"
        )
    _check_form(drug, dosage_form)
    original = order.amounts.get(replaces_dose_id)
    if original is None:
        raise NotFound(
            "replacesDoseId",
            "unknown-dose",
            f"order {order_id} has no original dose {replaces_dose_id}",
        )
    if order.route in INJECTED:
        raise RuleViolation(
            "replacesDoseId",
            "replace-oral-dose",
            f"dose {replaces_dose_id} was given {order.route}ly: an injection is not spilled or"
            " vomited, and a second one the same day doubles a long-acting dose; one that did"
            " not go in was not given: mark it entered in error and chart the dose given",
        )
    if replaces_dose_id in order.in_error:
        raise RuleViolation(
            "replacesDoseId",
            "dose-in-error",
            f"dose {replaces_dose_id} was marked entered in error"
            f" {order.in_error[replaces_dose_id].note(rules.zone, IN_ERROR_DETAIL)}; it was not"
            " given, so it is not replaced",
        )
    replaced = next((o for o, r in order.replaced.items() if r == replaces_dose_id), None)
    if replaced is not None:
        raise RuleViolation(
            "replacesDoseId",
            "one-replacement",
            f"dose {replaces_dose_id} replaced dose {replaced}; a replacement is not replaced"
            " again",
        )
    if replaces_dose_id in order.replaced:
        raise RuleViolation(
            "replacesDoseId",
            "one-replacement",
            f"dose {replaces_dose_id} was already replaced by {order.replaced[replaces_dose_id]}",
        )
    day, original_amount = original
    if rules.day_of(given_at) != day:
        raise RuleViolation(
            "givenAt",
            "replace-same-day",
            f"a replacement is given on the day of the original ({day})",
        )
    first = order.charted[replaces_dose_id].given_at
    if given_at < first:
        raise RuleViolation(
            "givenAt",
            "replace-after-original",
            f"the dose it replaces was given at {first.astimezone(rules.zone):%Y-%m-%d %H:%M};"
            " a replacement is given after it",
        )
    check_amount("amount", amount)
    if amount > original_amount:
        raise InvalidInput(
            "amount",
            "replacement-amount",
            f"a replacement is at most {amounts.shown(original_amount)} (the original dose),"
            f" got {amount}",
        )
    _check_active(record, rules, order, day, any_day=drug.early_days > 0, given_at=given_at)
    _check_not_held_at(order, given_at, rules.zone)
    _check_after_written(order, given_at, rules)
    slot = next(s for (d, s), d_id in order.given.items() if d_id == replaces_dose_id and d == day)
    _record_dose(
        record,
        stamp,
        order,
        drug,
        dose_id,
        given,
        site,
        given_at,
        slot,
        day,
        replaces_dose_id=replaces_dose_id,
        replacement_reason=reason,
    )


def enter_in_error(
    record: MedicationRecord, stamp: Stamp, rules: MedicationRules, given: InError
) -> None:
    """Mark a dose given at the window entered in error: its slot is free again and it
    counts as not given; a replaced dose waits until its replacement is marked first."""
    dose_id = given.dose_id
    reason = _reason(given.reason, "say why the dose is in error (wrong client, ...)")
    order = record.dose_order(dose_id)
    if dose_id in order.in_error:
        raise RuleViolation(
            "doseId",
            "not-in-error",
            f"dose {dose_id} was already marked entered in error"
            f" {order.in_error[dose_id].note(rules.zone, IN_ERROR_DETAIL)}",
        )
    replacement = order.replaced.get(dose_id)
    if replacement is not None:
        raise RuleViolation(
            "doseId",
            "replacement-first",
            f"dose {dose_id} was replaced by dose {replacement}; mark the replacement"
            " entered in error first",
        )
    day, amount = order.amounts[dose_id]
    charted = order.charted[dose_id]
    record.record(
        stamp.event(
            DoseEnteredInError,
            record.client_id,
            None,
            **_as_dispensed(order, charted),
            dose_id=dose_id,
            amount=amount,
            slot=charted.slot,
            day=day,
            lot=charted.lot,
            bottle=charted.bottle,
            replaces_dose_id=charted.replaces,
            reason=reason,
            corrected_on=rules.day_of(stamp.clock()),
        )
    )


def enter_take_home_in_error(
    record: MedicationRecord, stamp: Stamp, rules: MedicationRules, given: TakeHomeInError
) -> None:
    """Mark a take-home entered in error: the days its bottles covered are free again (a
    take-home or a dose may be charted for them) and count in no supply or dosed day."""
    dispense_id = given.dispense_id
    reason = _reason(given.reason, "say why the take-home is in error (wrong client, ...)")
    order = record.take_home_order(dispense_id)
    if dispense_id in order.take_home_in_error:
        raise RuleViolation(
            "dispenseId",
            "not-in-error",
            f"take-home {dispense_id} was already marked entered in error"
            f" {order.take_home_in_error[dispense_id].note(rules.zone, IN_ERROR_DETAIL)}",
        )
    if any(returned == dispense_id for returned, _, _ in order.returned):
        raise RuleViolation(
            "dispenseId",
            "not-returned",
            f"bottles of take-home {dispense_id} were returned (returnTakeHome): it was handed"
            " over, and what came back was destroyed",
        )
    handed = order.handed_over[dispense_id]
    record.record(
        stamp.event(
            TakeHomeEnteredInError,
            record.client_id,
            None,
            **_as_dispensed(order, handed),
            dispense_id=dispense_id,
            bottles=handed.bottles,
            days_covered=handed.days_covered,
            handed_over_on=handed.day,
            reason=reason,
            corrected_on=rules.day_of(stamp.clock()),
        )
    )


def _reason(given: str, hint: str) -> str:
    """The reason for marking a dispensing in error, trimmed; blanks (spaces, zero-width
    characters) are no reason."""
    reason = said(given)
    if not reason:
        raise InvalidInput("reason", "reason-required", hint)
    return reason


def _record_dose(
    record: MedicationRecord,
    stamp: Stamp,
    order: Order,
    drug: Medication,
    dose_id: UUID,
    given: GivenDose | Replacement,
    site: str,
    given_at: datetime,
    slot: int,
    day: date,
    **replacing: object,
) -> None:
    """An observed dose and its replacement are one event; a replacement adds what it replaces.
    The bottle it was poured from is named as a take-home bottle is (``shown``): the lot
    ledger lists it, and B1 with a zero-width space read there as B1."""
    bottle = shown("bottle", given.bottle)
    record.record(
        stamp.event(
            DoseAdministered,
            record.client_id,
            given_at,
            **_dispensed(order, drug, given.dosage_form, site),
            dose_id=dose_id,
            amount=given.amount,
            slot=slot,
            day=day,
            lot=given.lot,
            bottle=bottle,
            **replacing,
        )
    )


def not_given(
    record: MedicationRecord, stamp: Stamp, rules: MedicationRules, given: NotGiven
) -> UUID:
    """A dose due but not given: on its dosing day, or a long-acting one on any day of its
    window (from the day it could have been given, ``_check_window_open``), not only its
    exact due day. Answers its id, its event's own: ``DoseNotGiven`` carries no other, so an
    entry recorded before ids were answered has one too, and its correction names it.

    Charted late, for a day the missed-dose sweep has already recorded missed, it is
    recorded, as the explanation of that day, and not refused. A clinic charts late entries
    as a matter of course, and what a dose not given says (the client came intoxicated,
    declined, was held clinically) is what the care team needs and a bare "missed" does not
    say; refusing it would leave the day wrongly charted as a no-show with no way to put it
    right. The rule's finding stays on the record (its events are never edited), the day
    counts once, as not given: the dosing view and the caseload do not count a missed day a
    dose not given was recorded for under the same order (``projections/dosing.py``,
    ``unexplained``). Nothing else moves: either way it is a dosing day without a dose, so
    the consecutive days and a hold they placed stand as they were (``missed.py``)."""
    order_id, slot = given.order_id, given.slot
    occurred_at = given.occurred_at or stamp.clock()
    order = record.order(order_id)
    drug = rules.formulary.lookup(order.medication)
    _check_slot(order, slot)
    day = rules.day_of(occurred_at)
    _check_active(record, rules, order, day, held=True, any_day=drug.early_days > 0)
    _check_window_open(record, order, drug, day, "occurredAt")
    _check_free(order, day, slot)
    event = stamp.event(
        DoseNotGiven,
        record.client_id,
        occurred_at,
        order_id=order_id,
        medication=order.medication,
        day=day,
        slot=slot,
        reason=given.reason,
        note=said(given.note),  # one that shows nothing is none
    )
    record.record(event)
    return event.event_id


def enter_not_given_in_error(
    record: MedicationRecord, stamp: Stamp, rules: MedicationRules, given: NotGivenInError
) -> None:
    """Mark a dose not given entered in error, once, with a reason: its day is no longer
    accounted for by it, so the missed-dose rule finds the day missed on its next run unless
    a dose, a take-home or another dose not given accounts for it (``missed.py``)."""
    entry = record.not_given_entry(given.entry_id)
    if entry.in_error is not None:
        raise RuleViolation(
            "entryId",
            "not-in-error",
            f"dose not given {given.entry_id} was already marked entered in error"
            f" {entry.in_error.note(rules.zone, IN_ERROR_DETAIL)}",
        )
    reason = _reason(given.reason, "say why the dose not given is in error (wrong client, ...)")
    record.record(
        stamp.event(
            DoseNotGivenEnteredInError,
            record.client_id,
            None,
            order_id=entry.order_id,
            medication=record.orders[entry.order_id].medication,
            entry_id=given.entry_id,
            day=entry.day,
            slot=entry.slot,
            reason=reason,
        )
    )


def dispense_take_home(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    dispense_id: UUID,
    given: TakeHome,
    *,
    program: str,
    readmitted_at: datetime | None = None,
) -> None:
    """Take-homes within eligibility and the cap. After a readmission (``readmitted_at``)
    the episode before it counts for neither: time in treatment counts from the first dose
    since, and only a determination made since stands."""
    first_day, days, dosage_form, bottles = (
        given.first_day,
        given.days,
        given.dosage_form,
        given.bottles,
    )
    handed_over_at = given.handed_over_at or stamp.clock()
    order = record.order(given.order_id)
    drug = rules.formulary.lookup(order.medication)
    today = rules.day_of(handed_over_at)
    if order.route in INJECTED:
        raise RuleViolation(
            "orderId",
            "clinician-administered",
            f"{order.medication} is given {order.route}ly by a clinician at the program,"
            " never handed over to take home",
        )
    doses = take_home_doses(order, first_day, days, today)
    if first_day < today:
        raise InvalidInput(
            "firstDay", "take-home-future", f"take-homes cover {today} or later, not {first_day}"
        )
    _check_within_order(order, first_day, days)
    _check_form(drug, dosage_form)
    labels = [shown(f"bottles.{n}.bottle", b.bottle) for n, b in enumerate(bottles)]
    given_once(
        labels,
        "bottles",
        "bottle",
        "one-label-per-bottle",
        lambda label: (
            f"bottle {label!r} is listed twice; each bottle handed over has its own label"
        ),
    )
    if len(bottles) != len(doses):
        raise InvalidInput(
            "bottles",
            "one-bottle-per-dose",
            f"{len(doses)} doses fall between {first_day} and"
            f" {first_day + timedelta(days=days - 1)}: give {len(doses)} bottles",
        )
    for day, slot in doses:
        reached = "firstDay" if day == first_day else "days"
        _check_active(record, rules, order, day, given_at=handed_over_at, day_field=reached)
        _check_free(order, day, slot, reached)
    _check_other_orders(record, order, sorted({day for day, _ in doses}), first_day)
    _check_not_held_at(order, handed_over_at, rules.zone, "handedOverAt")
    _check_after_written(order, handed_over_at, rules, "handedOverAt")
    since = None if readmitted_at is None else rules.day_of(readmitted_at)
    initiated = _initiated(record, rules, drug, since)
    if initiated is None:
        raise RuleViolation(
            "orderId",
            "treatment-started",
            f"take-homes start after the first observed dose of {drug.code}; none is recorded yet",
        )
    if initiated > today:  # a hand-over charted late, for a day before treatment began
        raise RuleViolation(
            "handedOverAt",
            "treatment-started",
            f"take-homes start after the first observed dose of {drug.code}, on {initiated};"
            f" this hand-over is on {today}, before it",
        )
    eligibility = record.eligibility_at(handed_over_at)
    if eligibility and readmitted_at and eligibility.determined_at < readmitted_at:
        eligibility = None
    check_restart(record, rules, order.medication, eligibility, today)
    for induction in rules.inductions:
        induction.dispensed(
            record, order, "bottles", [(day, order.per_slot(day)) for day, _ in doses],
            rules.day_of, today,
        )  # fmt: skip
    handed = {lasting for day, _ in doses for lasting in order.lasts(day)}
    after = supply_days(record.take_home_days() | handed, today)
    eligible = eligibility.max_days if eligibility else 0
    if after > eligible:
        basis = (
            f"determined {rules.day_of(eligibility.determined_at)} by {eligibility.by}"
            if eligibility
            else f"none was determined by the hand-over on {today}"
            + ("" if since is None else f" since the readmission on {since}")
            + ": a prescriber determines it with determineTakeHomeEligibility"
        )
        raise RuleViolation(
            "days",
            "take-home-eligibility",
            f"the client may hold up to {eligible} days of take-homes ({basis});"
            f" this would make {after}",
        )
    schedule = rules.take_homes.schedule_for(program)
    treatment_day = day_in_treatment(initiated, today)
    cap = schedule.cap(treatment_day)
    if after > cap:
        raise RuleViolation(
            "days",
            "take-home-cap",
            f"on day {treatment_day} of treatment the cap ({schedule.id},"
            f" version {schedule.version})"
            f" allows up to {cap} days of take-home supply; this would make {after}",
        )
    _within_reach([day for day, _ in doses], today, min(eligible, cap))
    record.record(
        stamp.event(
            TakeHomeDispensed,
            record.client_id,
            handed_over_at,
            **_dispensed(order, drug, dosage_form, program),
            dispense_id=dispense_id,
            bottles=tuple(
                _bottle(n, day, slot, order.per_slot(day), label, b.lot)
                for n, ((day, slot), b, label) in enumerate(
                    zip(doses, bottles, labels, strict=True)
                )
            ),
            days_covered=days,
            day_in_treatment=treatment_day,
            cap_days=cap,
            cap_rule=schedule.id,
            cap_rule_version=schedule.version,
            day=today,
        )
    )


def _initiated(
    record: MedicationRecord, rules: MedicationRules, drug: Medication, since: date | None
) -> date | None:
    """Day 1 of treatment with ``drug`` for its take-homes: the first dose of it, or of a
    medication of its treatment (``take_homes.TREATMENTS``), observed here and not marked
    entered in error, on or after ``since`` (the readmission's day) when given."""
    kin = drug.classes & TREATMENTS

    def same(code: str) -> bool:
        other = rules.formulary.medications.get(code)
        return code == drug.code or bool(other is not None and kin & other.classes)

    days = [
        day
        for o in record.orders.values()
        if same(o.medication)
        for day in o.doses_on
        if since is None or day >= since
    ]
    return min(days, default=None)


def take_home_doses(
    order: Order, first_day: date, days: int, today: date
) -> list[tuple[date, int]]:
    """The (day, slot) of each dose a take-home handed over ``today`` holds from
    ``first_day`` for ``days`` days, in the order its bottles are given: the day a bottle is
    for is the day its lot must still be good on, not the day it is handed over."""
    if not 1 <= days <= TAKE_HOME_DAYS_MAX:
        raise InvalidInput(
            "days",
            "take-home-days",
            f"days must be from 1 to {TAKE_HOME_DAYS_MAX}, got {days}",
        )
    covered = [first_day + timedelta(days=n) for n in range(days)]
    return [
        (day, slot)
        for day in covered
        if order.due_on(day)
        for slot in order.slots()
        if day != today or slot not in _observed_split(order, today)
    ]


def _check_within_order(order: Order, first_day: date, days: int) -> None:
    """The days a take-home covers end by the order's end: past it the order prescribes
    nothing, so the hand-over was recorded as supply for every day asked (``days_covered``)
    with bottles for the days up to the end alone, the client sent home short of what the
    record said they held, and the next order's first days left to be found missed."""
    if order.end is None or first_day + timedelta(days=days - 1) <= order.end:
        return
    replaced = f" (replaced by order {order.replaced_by})" if order.replaced_by else ""
    if first_day > order.end:
        raise RuleViolation(
            "firstDay",
            "within-order",
            f"order ends on {order.end}{replaced}; no take-home is for {first_day} under it",
        )
    raise RuleViolation(
        "days",
        "within-order",
        f"order ends on {order.end}{replaced}; take-homes from {first_day} under it cover at"
        f" most {(order.end - first_day).days + 1} days, not {days}",
    )


def _bottle(n: int, day: date, slot: int, amount: Decimal, label: str, lot: str) -> TakeHomeBottle:
    """Bottle ``n`` as its event holds it: a label or lot its bounds refuse (empty, or over
    100 characters) is named as the input's ``bottles.n``, not left an internal error."""
    try:
        return TakeHomeBottle(day=day, slot=slot, amount=amount, bottle=label, lot=lot)
    except ValidationError as invalid:
        raise invalid_input(invalid, f"bottles.{n}") from None


def _within_reach(days: list[date], today: date, allowed: int) -> None:
    """Bottles handed over today are for days no further ahead than the ``allowed`` days of
    supply a client may hold: a bottle for a day beyond is held longer than the eligibility
    and the cap allow, and one for a far day (a year typed wrong) leaves the days the client
    doses at home uncovered on the record, to be found missed."""
    reach = today + timedelta(days=allowed)
    last = max(days, default=today)
    if last > reach:
        raise RuleViolation(
            "firstDay",
            "take-home-horizon",
            f"take-homes handed over on {today} are for days to {reach} at the latest (up to"
            f" {allowed} days of take-homes); the last is for {last}",
        )


def arrange_guest_dosing(
    record: MedicationRecord,
    stamp: Stamp,
    *,
    guest_dosing_id: UUID,
    site: str,
    start: date,
    end: date,
    occurred_at: datetime | None = None,
) -> None:
    if end < start:
        raise InvalidInput("end", "end-after-start", f"end {end} is before start {start}")
    dispensed = [d for o in record.orders.values() for d in o.dispensed_days() if d >= start]
    if dispensed:
        last = max(dispensed)
        raise RuleViolation(
            "start",
            "start-after-last-dispensed",
            f"the client was dosed here or holds take-homes through {last};"
            f" start guest dosing on {last + timedelta(days=1)} or later",
        )
    for other in record.guest_dosing.values():
        if other.start <= end and start <= other.end:
            raise RuleViolation(
                "start",
                "one-guest-site",
                f"the client already guest doses at {other.site} from {other.start} to {other.end}",
            )
    record.record(
        stamp.event(
            GuestDosingArranged,
            record.client_id,
            occurred_at,
            guest_dosing_id=guest_dosing_id,
            site=site,
            start=start,
            end=end,
        )
    )


def guest_dosing_summary(record: MedicationRecord, start: date, end: date) -> str:
    """What the guest site is told: each clinic-dispensed order in force during the stay,
    with the days it covers, its dose steps inside the stay, a hold, and the last dose. A
    hold or stop on the order replacing one holds or stops that one too (``_check_active``)."""
    parts: list[tuple[Order, Hold | None, date, date]] = []
    for order in record.orders.values():
        if order.dispensing is not Dispensing.CLINIC or order.status not in (
            Status.ACTIVE,
            Status.ON_HOLD,
        ):
            continue
        successor = _stopping_successor(record, order)
        if successor is not None and successor.status is Status.STOPPED:
            continue
        first = max(order.start, start)
        last = end if order.end is None else min(order.end, end)
        if first > last:
            continue
        hold = order.hold if successor is None else order.hold or successor.hold
        parts.append((order, hold, first, last))
    told = "; ".join(_told(o, h, first, last, start, end) for o, h, first, last in parts)
    if len(told) > TOLD_MAX:  # a long taper over a long stay: each order's steps in short
        told = "; ".join(
            _told(o, h, first, last, start, end, brief=True) for o, h, first, last in parts
        )
    return f"Orders to dose by: {told or 'no clinic-dispensed order in force'}"


def _told(
    order: Order,
    hold: Hold | None,
    first: date,
    last: date,
    start: date,
    end: date,
    *,
    brief: bool = False,
) -> str:
    """One order as the guest site reads it, from ``first`` to ``last`` of the stay, under
    ``hold`` (its own or its replacement's); ``brief``: its dose steps inside the stay as
    their count and the last one."""
    told = (
        f"{order.medication} {amounts.shown(order.dose_on(first))} {order.unit} {order.route}"
        f" {order.schedule.times_per_day}x every {order.schedule.every_days} day(s)"
    )
    if first > start:
        told += f" from {first}"
    if last < end:
        told += f" to {last}"
    steps = [
        f"{amounts.shown(s.dose)} {order.unit} from {s.start}"
        for s in order.steps
        if first < s.start <= last
    ]
    if steps and brief:
        told += f", then {len(steps)} dose steps to {steps[-1]} (each on order {order.order_id})"
    elif steps:
        told += f", then {', then '.join(steps)}"
    if hold is not None:
        told += f", ON HOLD since {hold.since:%Y-%m-%d}: do not dose"
    given = [day for day, _ in order.given if day < start]
    last_dose = f", last dose here {max(given)}" if given else ""
    return f"{told} (order {order.order_id}{last_dose})"


def end_guest_dosing(
    record: MedicationRecord,
    stamp: Stamp,
    *,
    guest_dosing_id: UUID,
    ended_on: date,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    guest = record.guest_dosing.get(guest_dosing_id)
    if guest is None:
        raise NotFound(
            "guestDosingId", "unknown-guest-dosing", f"no guest dosing {guest_dosing_id}"
        )
    if not guest.start <= ended_on <= guest.end:
        raise RuleViolation(
            "endedOn",
            "within-guest-period",
            f"guest dosing runs from {guest.start} to {guest.end}; end it within that",
        )
    record.record(
        stamp.event(
            GuestDosingEnded,
            record.client_id,
            occurred_at,
            guest_dosing_id=guest_dosing_id,
            site=guest.site,
            ended_on=ended_on,
            reason=reason,
        )
    )


def record_missed(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    today: date,
    since: date | None = None,
    out: Callable[[date], bool] = never,
) -> int:
    """Record every new missed dosing day before ``today`` (from ``since``, the client's
    enrolment day, and none ``out`` of treatment: discharged); hold where the rule says so. A
    day a dose not given was recorded for is not missed (``missed.py``): it may place the
    hold, with no missed day recorded. Days before an order entered late was entered wait
    out the rule's charting grace (``missed.py``)."""
    recorded = 0
    for order, found in _found(record, rules, today, since, out, grace=True):
        for missed in found:
            facts = {"order_id": order.order_id, "medication": order.medication}
            if not missed.not_given:
                record.record(
                    stamp.event(
                        DoseMissed,
                        record.client_id,
                        None,
                        **facts,
                        day=missed.day,
                        consecutive_days=missed.consecutive_days,
                        rule_id=rules.missed.id,
                        rule_version=rules.missed.version,
                    )
                )
                recorded += 1
            held = _latest(record, order)
            if missed.hold and held.hold is None and held.status is Status.ACTIVE:
                record.record(
                    stamp.event(
                        OrderHeld,
                        record.client_id,
                        None,
                        order_id=held.order_id,
                        medication=held.medication,
                        reason=_hold_reason(missed),
                        rule_id=rules.missed.id,
                        rule_version=rules.missed.version,
                        day=rules.day_of(stamp.clock()),
                    )
                )
    return recorded


def missed_hold_due(
    record: MedicationRecord,
    rules: MedicationRules,
    order_id: UUID,
    today: date,
    since: date | None = None,
    out: Callable[[date], bool] = never,
) -> RuleViolation | None:
    """The refusal of the first dose of ``today`` under ``order_id`` (at the window or to take
    home) while the missed-dose rule holds its medication's order and the sweep has not
    yet: the hold asks for a prescriber's assessment before the next dose, and the sweep
    runs an hour apart, its first an hour after the process starts, so a client back after
    three days was dosed in full in between. A prescriber holds the order and resumes it
    once the client is assessed (``missed.py``: no hold for days a hold followed), or
    resumes the sweep's hold. A day already dosed (a split dose's first part, a bottle for
    it, a dose replaced) was checked at its first dose."""
    medication = record.order(order_id).medication
    mine = [o for o in record.orders.values() if o.medication == medication]
    if any(o.dosed_on(today) for o in mine):
        return None
    for order, found in _found(record, rules, today, since, out):
        due = next((m for m in found if m.hold), None)
        if order.medication != medication or due is None:
            continue
        return RuleViolation(
            "orderId",
            rules.missed.id,
            f"{due.consecutive_days} consecutive dosing days without a dose of order"
            f" {order.order_id} through {due.day} hold it until a prescriber assesses the"
            f" client (rule {rules.missed.id} version {rules.missed.version}; source:"
            f" {rules.missed.source}); the missed-dose sweep has not held it yet: a"
            " prescriber holds the order and resumes it once the client is assessed",
            {"consecutiveDays": due.consecutive_days},
        )
    return _lapse_due(record, rules, mine, today, since, out)


def _lapse_due(
    record: MedicationRecord,
    rules: MedicationRules,
    mine: list[Order],
    today: date,
    since: date | None,
    out: Callable[[date], bool],
) -> RuleViolation | None:
    """The refusal of the first dose of a new order starting ``today`` after
    ``rules.missed.hold_after`` days in a row without its medication: the last days of an
    order that ran out or was stopped, and the days with no order between
    (``_lapsed_before``), which no order of its own could find missed. Neither written after
    those days nor an order of the medication held since by a prescriber (the assessment the
    rule asks for: a restart after weeks away is the initial-dose cap's, ``induction.py``)."""
    for order in mine:
        if (
            order.start != today
            or order.prior_order_id is not None
            or order.dispensing is not Dispensing.CLINIC
            or not order.current
        ):
            continue
        away = _not_dosed_here(record, rules, order, out)
        earlier, _ = _undosed_before(record, rules, order, away, since)
        day, days = today - timedelta(days=1), 0
        while day in earlier:
            day, days = day - timedelta(days=1), days + 1
        last = today - timedelta(days=1)
        assessed = rules.day_of(order.written_at) > last or any(
            o.held_after(last, rules.day_of) for o in mine
        )
        if days < rules.missed.hold_after or assessed:
            continue
        return RuleViolation(
            "orderId",
            rules.missed.id,
            f"{days} consecutive days without a dose of {order.medication} through {last}"
            f" before order {order.order_id} began hold it until a prescriber assesses the"
            f" client (rule {rules.missed.id} version {rules.missed.version}; source:"
            f" {rules.missed.source}): a prescriber holds the order and resumes it once the"
            " client is assessed",
            {"consecutiveDays": days},
        )
    return None


def _found(
    record: MedicationRecord,
    rules: MedicationRules,
    today: date,
    since: date | None,
    out: Callable[[date], bool],
    *,
    grace: bool = False,
) -> Iterator[tuple[Order, list[Missed]]]:
    """Each order the missed-dose rule reads, with its new missed days before ``today``; a
    day ``out`` of treatment is none to dose (an order dated back across a readmission).
    ``grace``: the sweep's judgement (``missed_days``)."""
    for order in list(record.orders.values()):
        if order.status not in (Status.ACTIVE, Status.ON_HOLD):
            continue
        if _latest(record, order).status is Status.STOPPED:  # stopped with its replacement
            continue
        away = _not_dosed_here(record, rules, order, out)
        earlier, earlier_not_given = _undosed_before(record, rules, order, away, since)
        yield order, missed_days(
            order, today, away=away, rule=rules.missed, day_of=rules.day_of, since=since,
            earlier=earlier, earlier_not_given=earlier_not_given,
            early=rules.formulary.lookup(order.medication).early_days,
            successors=_successors(record, order), grace=grace,
        )  # fmt: skip


def _latest(record: MedicationRecord, order: Order) -> Order:
    """The order that replaced ``order`` last (a dose change or taper starting later), or
    ``order``: the hold goes there, as a prescriber's does, so it holds both (``_check_active``)
    and a prescriber can lift it; one on the replaced order held nothing after its last day
    and could not be resumed."""
    return [order, *_successors(record, order)][-1]


def _not_dosed_here(
    record: MedicationRecord, rules: MedicationRules, order: Order, out: Callable[[date], bool]
) -> Callable[[date], bool]:
    """Whether a day is none to dose ``order`` here: the client guest doses elsewhere or is
    out of treatment, or an order replacing it is on hold (which holds it too,
    ``_check_active``)."""
    successors = _successors(record, order)

    def away(day: date) -> bool:
        held = any(s.held_on(day, rules.day_of) for s in successors)
        return held or record.away_on(day) is not None or out(day)

    return away


def _successors(record: MedicationRecord, order: Order) -> list[Order]:
    """The orders that replaced ``order`` in turn: a hold or stop on one holds or stops it."""
    found: list[Order] = []
    while order.replaced_by is not None:
        order = record.orders[order.replaced_by]
        found.append(order)
    return found


def _hold_reason(missed: Missed) -> str:
    days = missed.consecutive_days
    if not missed.not_given_days:
        return f"{days} consecutive dosing days missed; a prescriber must assess"
    return (
        f"{days} consecutive dosing days without a dose ({missed.not_given_days} not given,"
        f" {days - missed.not_given_days} missed); a prescriber must assess"
    )


def _undosed_before(
    record: MedicationRecord,
    rules: MedicationRules,
    order: Order,
    away: Callable[[date], bool],
    since: date | None,
) -> tuple[frozenset[date], frozenset[date]]:
    """The days without a dose (missed, or not given and not dosed after all) under the
    orders ``order`` replaced, under a replacement of it marked in error, and under an order
    of its medication stopped or ended before it began (and those it replaced), with the days
    between such an order and it (``_lapsed_before``), and those of them a dose not given
    was recorded for: a dose change, its cancellation, a stop and a new order (a dose changed
    the other way), or an order run out and the next, does not start the consecutive days
    without a dose again. Those days only join a streak up to the new order's first dosing
    day, as days in a row (``missed._streak``)."""
    others = [
        other
        for other in record.orders.values()
        if other.prior_order_id == order.order_id and other.status is Status.ENTERED_IN_ERROR
    ]
    others += _priors(record, order)
    before = _ended_before(record, order)
    for ended in before:
        others += [ended, *_priors(record, ended)]
    undosed = {day for other in others for day in other.undosed()}
    if order.prior_order_id is None and before:
        first = min(o.start for o in before)
        undosed |= _lapsed_before(record, rules, order, first, away, since)
    not_given = {day for other in others for day in other.not_given}
    return frozenset(undosed), frozenset(undosed & not_given)


def _ended_before(record: MedicationRecord, order: Order) -> list[Order]:
    """The clinic orders of ``order``'s medication stopped, or run out by their end date,
    before it began."""
    return [
        other
        for other in record.orders.values()
        if other.medication == order.medication
        and other is not order
        and other.dispensing is Dispensing.CLINIC
        and other.start <= order.start
        and (
            other.status is Status.STOPPED
            or (other.current and other.end is not None and other.end < order.start)
        )
    ]


def _lapsed_before(
    record: MedicationRecord,
    rules: MedicationRules,
    order: Order,
    first: date,
    away: Callable[[date], bool],
    since: date | None,
) -> set[date]:
    """The days in a row before a new order's start, back to ``first`` (the start of the
    orders of its medication before it), with no dose of the medication given or taken home
    here, under no hold, the client neither dosing elsewhere nor out of treatment: the
    previous order's last days missed and the days with no order between (version 5; the
    new order counted from its own start, so a client who missed days while an order ran
    out and the next began was dosed in full)."""
    same = [o for o in record.orders.values() if o.medication == order.medication]
    lapsed: set[date] = set()
    day = order.start - timedelta(days=1)
    while day >= first and (since is None or day >= since) and not away(day):
        if any(o.dosed_on(day) or o.held_on(day, rules.day_of) for o in same):
            break
        lapsed.add(day)
        day -= timedelta(days=1)
    return lapsed


def _priors(record: MedicationRecord, order: Order) -> list[Order]:
    """The orders ``order`` replaced in turn (dose changes, tapers), latest first."""
    found: list[Order] = []
    prior = order.prior_order_id
    while prior is not None:
        found.append(record.orders[prior])
        prior = record.orders[prior].prior_order_id
    return found


def _observed_split(order: Order, today: date) -> set[int]:
    """The slots of a split dose observed at the window today while another is still due:
    the rest of the day's dose may go home (an in-house split), those not again."""
    observed = {slot for slot in order.slots() if (today, slot) in order.given}
    return observed if len(observed) < len(order.slots()) else set()


def _check_slot(order: Order, slot: int) -> None:
    if slot not in order.slots():
        raise InvalidInput(
            "slot",
            "scheduled-slot",
            f"slot must be between 1 and {order.schedule.times_per_day}, got {slot}",
        )


def _check_form(drug: Medication, dosage_form: str) -> None:
    if dosage_form not in drug.forms:
        raise InvalidInput(
            "dosageForm", "formulary-form", f"{drug.name} forms: {', '.join(drug.forms)}"
        )


def _check_active(
    record: MedicationRecord,
    rules: MedicationRules,
    order: Order,
    day: date,
    *,
    held: bool = False,
    any_day: bool = False,
    given_at: datetime | None = None,
    day_field: str = "orderId",
) -> None:
    """Refuse unless the order may be dispensed at this window on ``day``, saying why not.
    ``day_field``: the input that put the dispensing on ``day``, named when the day is the
    reason (not the order's, a dosing day, the client away), as a take-home's ``firstDay`` or
    ``days``; the order itself otherwise.
    ``held``: a hold is no reason to refuse (a dose not given is due, held or not).
    ``any_day``: a long-acting dose, given in its window (``_check_interval``) rather than on
    its exact dosing day. ``given_at``: when a dose (or take-home) charted late was given (or
    handed over); a stop after it does not refuse it (it was given while the order was in
    force, and the DEA log and the interaction rules' exposure need it), nor does a hold in
    force placed after it: a dose given at 08:00 and charted after a 09:00 hold was refused
    until the hold was lifted, the day read undosed meanwhile, and the window dosed the client
    again on resuming. One given since the hold began waits for it to be lifted
    (``_check_not_held_at``)."""

    def since(moment: datetime | None) -> bool:
        """The dose was given at or after the stop or hold at ``moment``, or its time is not
        known: the stop or hold refuses it."""
        return given_at is None or moment is None or given_at >= moment

    if order.dispensing is not Dispensing.CLINIC:
        raise RuleViolation(
            "orderId",
            "clinic-dispensed",
            f"{order.medication} is filled by a pharmacy, not dispensed here",
        )
    if order.status is Status.ENTERED_IN_ERROR or (
        order.status is Status.STOPPED and since(order.stopped_at)
    ):
        raise RuleViolation(
            "orderId",
            "order-active",
            f"order is {order.status.value} {order.stopped_note(rules.zone)}",
        )
    if order.hold is not None and not held and since(order.hold.since):
        raise RuleViolation(
            "orderId",
            "order-active",
            f"order is on hold {order.hold.note(rules.zone)}; a prescriber must resume it",
        )
    successor = _stopping_successor(record, order)
    if successor is not None and successor.status is Status.STOPPED and since(successor.stopped_at):
        raise RuleViolation(
            "orderId",
            "order-active",
            f"order {successor.order_id} that replaces it is stopped"
            f" {successor.stopped_note(rules.zone)}",
        )
    if (
        successor is not None
        and successor.hold is not None
        and not held
        and since(successor.hold.since)
    ):
        raise RuleViolation(
            "orderId",
            "order-active",
            f"order {successor.order_id} that replaces it is on hold"
            f" {successor.hold.note(rules.zone)}; a prescriber must resume it",
        )
    if order.ended(day) and order.replaced_by is None:
        raise RuleViolation(
            "orderId",
            "order-active",
            f"order ended on {order.end}; no dose is given under it on {day}",
        )
    gap = next(((first, last) for first, last in order.gaps if first <= day <= last), None)
    if gap is not None:
        raise RuleViolation(
            day_field,
            "order-active",
            f"order was not in force from {gap[0]} to {gap[1]}: the order that replaced it"
            f" then was entered in error; it is dosed again from {gap[1] + timedelta(days=1)}",
        )
    if not order.in_period(day):
        until = f" to {order.end}" if order.end else ""
        replaced = f" (replaced by order {order.replaced_by})" if order.replaced_by else ""
        change = None if order.replaced_by is None else record.orders.get(order.replaced_by)
        if change is not None and given_at is not None and _before_written(change, given_at, rules):
            replaced += _charted_before(change)
        raise RuleViolation(
            day_field,
            "order-active",
            f"order is active from {order.start}{until}{replaced}, not on {day}",
        )
    if not any_day and not order.due_on(day):
        raise RuleViolation(
            day_field,
            "dosing-day",
            f"order is dosed every {order.schedule.every_days} days from {order.start};"
            f" {day} is not a dosing day",
        )
    away = record.away_on(day)
    if away is not None:
        raise RuleViolation(
            day_field,
            "guest-dosing",
            f"the client doses at {away.site} from {away.start} to {away.end}, not here on {day}",
        )


def _check_interval(record: MedicationRecord, order: Order, drug: Medication, day: date) -> None:
    """A long-acting dose is given from the label's shortest interval after the last one
    given (the order's interval less ``Medication.early_days``), under any order of the
    medication (a dose change keeps the interval); late, any day (the missed-dose rule reads
    its due day as missed). A dose charted for an earlier day keeps the interval to the next
    one given too. Doses marked in error count nowhere."""
    _check_window_open(record, order, drug, day, "givenAt")
    after = min((d for d in _given_days(record, order) if d > day), default=None)
    shortest = order.schedule.every_days - drug.early_days
    if drug.early_days and after is not None and (after - day).days < shortest:
        raise RuleViolation(
            "givenAt",
            "injection-interval",
            f"a {drug.name} dose was given on {after}; one before it was due by"
            f" {after - timedelta(days=shortest)} (at least {shortest} days before), not {day}",
        )


def _check_window_open(
    record: MedicationRecord, order: Order, drug: Medication, day: date, field: str
) -> None:
    """A long-acting dose's window opens the label's shortest interval after the last one
    given before ``day``; ``field`` names the input that dates the dose (or the dose not
    given, which a later dose given in the same window does not make wrong)."""
    if not drug.early_days:
        return
    shortest = order.schedule.every_days - drug.early_days
    before = max((d for d in _given_days(record, order) if d < day), default=None)
    if before is not None and (day - before).days < shortest:
        earliest = before + timedelta(days=shortest)
        raise RuleViolation(
            field,
            "injection-interval",
            f"the last {drug.name} dose was given on {before}; the next may be given from"
            f" {earliest} (at least {shortest} days after it), not on {day}",
        )


def _given_days(record: MedicationRecord, order: Order) -> set[date]:
    """The days a dose of the order's medication was given, under any of its orders."""
    return {
        d for o in record.orders.values() if o.medication == order.medication for d in o.doses_on
    }


def _stopping_successor(record: MedicationRecord, order: Order) -> Order | None:
    """The order replacing this one (a dose change starting later), if it is on hold or
    stopped: the prescriber holds or stops that one (this one answers "act on that one"),
    and it is meant for the days this one still covers too."""
    replaced_by = order.replaced_by
    while replaced_by is not None:
        successor = record.orders[replaced_by]
        if successor.hold is not None or successor.status is Status.STOPPED:
            return successor
        replaced_by = successor.replaced_by
    return None


def _check_not_held_at(
    order: Order, given_at: datetime, zone: tzinfo, field: str = "givenAt"
) -> None:
    """Refuse a dose charted for a time a hold lasted: lifting the hold since does not make
    a dose given under it allowed (``_check_active`` sees only the hold in force now). The
    times quoted are the program's (``zone``)."""
    for since, lifted in order.held:
        if lifted is not None and since <= given_at < lifted:
            start, end, given = (t.astimezone(zone) for t in (since, lifted, given_at))
            raise RuleViolation(
                field,
                "order-active",
                f"order was on hold from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M};"
                f" no dose is given under it at {given:%Y-%m-%d %H:%M}",
            )


def _check_after_written(
    order: Order, given_at: datetime, rules: MedicationRules, field: str = "givenAt"
) -> None:
    """Refuse a dose or hand-over charted for a time before its order was written on the
    order's start day: nothing is given before it is prescribed. An order dated back (its
    start before the day it was written) is in force from its start (``Order.begins``); a
    dose given before a dose change was written that day was given under the order it
    replaced. Charting times are minutes: one in the minute it was written is after it."""
    if _before_written(order, given_at, rules):
        written, given = (t.astimezone(rules.zone) for t in (order.written_at, given_at))
        replaced = "" if order.prior_order_id is None else _charted_before(order)
        raise RuleViolation(
            field,
            "after-order-written",
            f"order {order.order_id} was written at {written:%Y-%m-%d %H:%M}; nothing is"
            f" given under it at {given:%Y-%m-%d %H:%M}, before it was prescribed{replaced}",
        )


def _before_written(order: Order, moment: datetime, rules: MedicationRules) -> bool:
    """Whether ``moment`` is before ``order`` was written on its start day, in the minutes
    charting times are given in (one in the minute it was written is after it)."""
    begins = order.begins(rules.day_of)
    return begins is not None and moment < begins.replace(second=0, microsecond=0)


def _charted_before(change: Order) -> str:
    """How a dose given that day before ``change`` (a dose change or taper) was written is
    charted: under the order it replaced, which ends the day before the change's start. The
    change is written again from the next day, so the day is not dosed twice."""
    return (
        f"; a dose given before it was written was given under order {change.prior_order_id},"
        f" which it replaced: to chart it, mark order {change.order_id} entered in error"
        " (markOrderEnteredInError: the order it replaced is in force again), chart the dose"
        " under that order, and write the change again from the next day"
        " (start-after-last-dispensed), so the day is not dosed twice"
    )


def _check_free(order: Order, day: date, slot: int, field: str = "slot") -> None:
    """Refuse a second dose for the slot, naming ``field``: the dose's ``slot``, or the
    take-home's ``firstDay`` or ``days`` (it has no slot) that reached a covered day."""
    taken = order.filled(day, slot)
    if taken is not None:
        raise RuleViolation(
            field, "one-dose-per-slot", f"slot {slot} on {day} is already covered (by {taken})"
        )


def _as_dispensed(order: Order, charted: Charted | HandedOver) -> dict[str, object]:
    """The DEA log fields a correction repeats as the dispensing it corrects recorded them
    (the formulary may have changed since)."""
    return {
        "order_id": order.order_id,
        "medication": order.medication,
        "unit": order.unit,
        "dosage_form": charted.dosage_form,
        "strength": charted.strength,
        "dea_schedule": charted.dea_schedule,
        "site": charted.site,
    }


def _dispensed(order: Order, drug: Medication, dosage_form: str, site: str) -> dict[str, object]:
    """The DEA log fields every dispensing event carries (21 CFR 1304.24), and the site
    whose stock it drew on."""
    return {
        "order_id": order.order_id,
        "medication": order.medication,
        "unit": order.unit,
        "dosage_form": dosage_form,
        "strength": drug.forms[dosage_form],
        "dea_schedule": drug.dea_schedule,
        "site": site,
    }
