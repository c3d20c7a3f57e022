"""Commands on a client's medications: load the records involved, decide, record.

Each returns a ``Command`` for the bus; the decisions are in ``prescribing.py``,
``statements.py``, ``eligibility.py`` and ``dispensing.py``, which define one input type per
command (``NewOrder``, ``GivenDose``, ...) that the API builds once and passes through.
Ids are drawn when the command is built so a retry after a conflict records the same ids.
Every clinical time a request gives is checked here first (``clinical_time.py``): not in
the future beyond the clock tolerance, not before the client's enrolment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

from pydantic import ValidationError

from carecoord.events import Kind
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.medication import HardStopRefused, InteractionFound, OrderHeld
from carecoord.events.stock import draws_id, stock_id
from carecoord.events.users import user_record_id
from carecoord.services.alerts import unwitnessed
from carecoord.services.alerts.recall import LIFTED, recall, settle, still_out
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.care.record import ClientRecord
from carecoord.services.careteam.team import CareTeam
from carecoord.services.checkins.record import CheckInRecord
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.clinical_time import day_after_enrolment, happened, plausible
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork, named_for
from carecoord.services.medication import (
    dispensing,
    eligibility,
    findings,
    prescribing,
    returns,
    statements,
)
from carecoord.services.medication.dispensing import (
    GivenDose,
    InError,
    NotGiven,
    NotGivenInError,
    Replacement,
    TakeHome,
    TakeHomeInError,
)
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.findings import HardStop
from carecoord.services.medication.monitored import NOTHING, Monitored
from carecoord.services.medication.orders import Order
from carecoord.services.medication.prescribing import DoseChange, NewOrder, Taper
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.returns import Returned, TakeHomeReturn
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules
from carecoord.services.medication.statements import Statement
from carecoord.services.stock import draws
from carecoord.services.stock.lot_draws import LotDraws
from carecoord.services.stock.record import SiteStock
from carecoord.services.users.access import UserAccess, one_way

T = TypeVar("T")
Picturing = Callable[[MedicationRecord, Monitored, MedicationRules], list[InteractionFound]]
GUEST_DOSING_KINDS = (Kind.MEDICATION, Kind.DOSING)
"""What a guest-dosing site is told: the orders to dose by, and the doses given."""


@dataclass(frozen=True, slots=True)
class Written:
    """A new order or statement and the interaction findings recorded with it; or, when a
    hard-stop rule refused the step, ``refused``: the refusal recorded on the client's
    record, with ``id`` its refusal id.

    Why a result and not an exception: the bus records nothing for a command that raises
    (``services/infrastructure/commands.py``), and a refused hard stop must leave a trace for a
    safety
    review. So the command records ``HardStopRefused`` and returns normally; the bus
    commits it like any event, with its position; and the API answers with the refusal
    as the same ``RULE_VIOLATION`` error it always gave (``graphql/medication.py``). The
    result is kept with an idempotency key like any other, so a retried refusal answers
    with the first one and is not recorded twice. Nothing of the refused order is
    recorded: there is no order to act on.
    """

    id: UUID
    findings: tuple[InteractionFound, ...] = ()
    refused: HardStopRefused | None = None


@dataclass(frozen=True, slots=True)
class NotGivenRecorded:
    """A dose not given: the order it is under, which its recording has always answered,
    and its own id (its event's), which its correction names."""

    order_id: UUID
    entry_id: UUID


def on_record(client_id: UUID, decide: Callable[[MedicationRecord, ClientRecord], T]) -> Command[T]:
    """A command on an enrolled client's medication record."""

    def run(uow: UnitOfWork) -> T:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        return decide(uow.get(MedicationRecord, client_id), client)

    return named_for(run, decide)


@dataclass(frozen=True, slots=True)
class Poured:
    """What a dispensing says it poured: the order's medication in ``dosage_form``, from
    each (field, lot) named, at the time the field ``when`` names gives (None: now). Each
    lot is given for the day poured, or for the later day ``for_days`` gives it by position
    from the order and that day (a take-home's bottles, each for a day of its own)."""

    order_id: UUID
    dosage_form: str
    lots: tuple[tuple[str, str], ...]
    when: tuple[str, datetime | None]
    dispensed_id: UUID
    """The dose's or the take-home's id, which its draws on the lots' records name."""
    amount: Decimal | None = None
    """What a dose or replacement poured; None: each bottle the order's dose for its slot on
    its day (a take-home)."""
    for_days: Callable[[Order, date], Sequence[date]] | None = None


@dataclass(frozen=True, slots=True)
class Drawn:
    """When a dispensing was poured, and each lot it named as the site holds it."""

    at: datetime
    lots: Mapping[str, str]

    def lot(self, name: str) -> str:
        return self.lots.get(name, name)


def from_stock(
    stamp: Stamp,
    client_id: UUID,
    poured: Poured,
    decide: Callable[[MedicationRecord, ClientRecord, Drawn], T],
    rules: MedicationRules,
) -> Command[T]:
    """``on_record``, for a dispensing from the stock of the client's program at the time
    it gives (``dispensed_at``): the lots it names are first checked against what that site
    holds for the day each is given for (``draws.poured_from``), and handed to ``decide`` as
    the site names them. One given today is then refused if a hard-stop rule meets its order
    (``findings.check_window``), or if it is the day's first under an order the missed-dose
    rule holds and the sweep has not held yet (``dispensing.missed_hold_due``, judged before
    ``decide`` records the dose): raising after ``decide`` records nothing. One charted late
    is not: it says what was given, before what has been recorded since."""

    def run(uow: UnitOfWork) -> T:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        record = uow.get(MedicationRecord, client_id)
        at = dispensed_at(stamp, client, *poured.when) or stamp.clock()
        client.in_treatment_at(stamp, poured.when[0], poured.when[1] and at)
        named: Mapping[str, str] = {}
        drawing: list[tuple[str, str, Decimal]] = []
        stock = None
        if any(lot for _, lot in poured.lots):
            order = record.order(poured.order_id)
            drug = rules.formulary.lookup(order.medication)
            stock = uow.get(SiteStock, stock_id(client.program))
            day = rules.day_of(at)
            for_day = dict(enumerate(poured.for_days(order, day))) if poured.for_days else {}
            lots = [
                (field, lot, max(day, for_day.get(n, day)))
                for n, (field, lot) in enumerate(poured.lots)
                if lot
            ]
            named = draws.poured_from(stock, drug.code, poured.dosage_form, lots)
            drawing = [
                (field, lot, poured.amount or order.per_slot(for_day))
                for field, lot, for_day in lots
            ]
        day = rules.day_of(at)
        today = day == rules.day_of(stamp.clock())
        held = (
            dispensing.missed_hold_due(
                record,
                rules,
                poured.order_id,
                day,
                _enrolled_on(client, rules),
                client.out_of_treatment(rules.day_of),
            )
            if today
            else None
        )
        decided = decide(record, client, Drawn(at, named))
        if stock is not None:  # after ``decide``: the dispensing's own refusals come first
            records, signing = _lot_records(uow, stamp, stock, named.values())
            draws.draw(stock, records, signing, rules, poured.dispensed_id, at, drawing)
        if held is not None:  # after ``decide``: its own refusals come first
            raise held
        if today:
            monitored = Monitored.of(uow.get(CheckInRecord, client_id))
            program = rules.for_program(client.program)
            findings.check_window(record, program, poured.order_id, day, monitored)
        return decided

    return named_for(run, decide)


def on_picture(
    stamp: Stamp,
    client_id: UUID,
    written_id: UUID,
    occurred_at: tuple[str, datetime | None],
    rules: MedicationRules,
    decide: Picturing,
    *,
    ordering: bool = True,
    start: date | None = None,
) -> Command[Written]:
    """A step that adds to the medication picture, checked with the client's latest QTc
    (recorded by check-ins) so QT-aware rules are judged on it, with the bands of the
    client's program. A hard stop is recorded as a refusal (see ``Written``); the
    refusal's id is drawn now, like the order's. A new order (``ordering``) is refused for
    a time the client was discharged; a statement of what they take is not. A new order's
    ``start`` is refused before the program's day of enrolment: the program ordered
    nothing before it (what the client took before comes in as a statement)."""
    refusal_id = uuid4()

    def run(uow: UnitOfWork) -> Written:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        plausible_for(stamp, client, *occurred_at)
        if ordering:
            client.in_treatment_at(stamp, *occurred_at)
        own = rules.for_program(client.program)
        enrolled_on = _enrolled_on(client, own)
        if start is not None and enrolled_on is not None:
            day_after_enrolment("start", start, enrolled_on, "no order starts before it")
        monitored = Monitored.of(uow.get(CheckInRecord, client_id))
        record = uow.get(MedicationRecord, client_id)
        try:
            found = decide(record, monitored, own)
        except HardStop as stop:
            refused = findings.record_refusal(record, stamp, refusal_id, stop)
            return Written(refusal_id, refused=refused)
        return Written(written_id, tuple(found))

    return named_for(run, decide)


def plausible_for(stamp: Stamp, client: ClientRecord, field: str, moment: datetime | None) -> None:
    """The clinical time a request gives, checked against now and the client's enrolment."""
    plausible(field, moment, now=stamp.clock(), enrolled_at=client.enrolled_at)


def dispensed_at(
    stamp: Stamp, client: ClientRecord, field: str, moment: datetime | None
) -> datetime | None:
    """When a dispensing says it happened, checked as ``plausible_for`` does; a time ahead
    within the tolerance (a workstation clock running fast) counts from its recording, so the
    dose falls on the day it was charted and not on one that has not begun."""
    return happened(field, moment, now=stamp.clock(), enrolled_at=client.enrolled_at)


def prescribe(
    stamp: Stamp, *, client_id: UUID, order: NewOrder, rules: MedicationRules = DEFAULT_RULES
) -> Command[Written]:
    order_id = uuid4()
    return on_picture(
        stamp,
        client_id,
        order_id,
        ("occurredAt", order.occurred_at),
        rules,
        lambda record, seen, own: prescribing.prescribe(record, stamp, own, order_id, order, seen),
        start=order.start,
    )


def change_dose(
    stamp: Stamp, *, client_id: UUID, change: DoseChange, rules: MedicationRules = DEFAULT_RULES
) -> Command[Written]:
    new_id = uuid4()
    return on_picture(
        stamp,
        client_id,
        new_id,
        ("occurredAt", change.occurred_at),
        rules,
        lambda record, seen, own: prescribing.change_dose(record, stamp, own, new_id, change, seen),
    )


def taper_order(
    stamp: Stamp, *, client_id: UUID, taper: Taper, rules: MedicationRules = DEFAULT_RULES
) -> Command[Written]:
    new_id = uuid4()
    return on_picture(
        stamp,
        client_id,
        new_id,
        ("occurredAt", taper.occurred_at),
        rules,
        lambda record, seen, own: prescribing.taper(record, stamp, own, new_id, taper, seen),
    )


def record_statement(
    stamp: Stamp,
    *,
    client_id: UUID,
    statement: Statement,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[Written]:
    statement_id = uuid4()
    return on_picture(
        stamp,
        client_id,
        statement_id,
        ("occurredAt", statement.occurred_at),
        rules,
        lambda record, seen, own: statements.record_statement(
            record, stamp, own, statement_id, statement, seen
        ),
        ordering=False,
    )


def hold_order(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    reason: str,
    rules: MedicationRules = DEFAULT_RULES,
    alert_rules: AlertRules = DEFAULT_ALERT_RULES,
) -> Command[UUID]:
    """A hold over days take-home bottles are out for recalls them, as a stop does."""

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        record, program = uow.get(MedicationRecord, client_id), rules.for_program(client.program)
        prescribing.hold(record, stamp, rules, order_id, reason)
        for recorded in record.pending:
            recall(uow.get(AlertRecord, client_id), record, recorded.event, program.day_of,
                   alert_rules)  # fmt: skip
        return order_id

    return run


def resume_order(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    reason: str,
    acknowledgements: Mapping[str, str] | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    """Lifting the hold puts the order back in force: bottles for days from now on hold its
    doses again, so a recall with none left out for a day the hold withheld is resolved."""

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        record, program = uow.get(MedicationRecord, client_id), rules.for_program(client.program)
        prescribing.resume(record, stamp, rules, order_id, reason, acknowledgements or {})
        if not still_out(record, client.discharged_at, program.day_of):
            settle(uow.get(AlertRecord, client_id), stamp, LIFTED)
        return order_id

    return run


def discontinue_order(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    reason: str,
    in_error: bool = False,
    stopped_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
    alert_rules: AlertRules = DEFAULT_ALERT_RULES,
) -> Command[UUID]:
    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        plausible_for(stamp, client, "stoppedAt", stopped_at)
        # An order in error may put the one it replaced back in force, judged on the QTc.
        checkins = uow.get(CheckInRecord, client_id) if in_error else None
        monitored = NOTHING if checkins is None else Monitored.of(checkins)
        record, program = uow.get(MedicationRecord, client_id), rules.for_program(client.program)
        prescribing.discontinue(
            record, stamp, program,
            order_id, reason, in_error=in_error, stopped_at=stopped_at, monitored=monitored,
        )  # fmt: skip
        for recorded in record.pending:
            alerts = uow.get(AlertRecord, client_id)
            recall(alerts, record, recorded.event, program.day_of, alert_rules)
        return order_id

    return run


def end_statement(
    stamp: Stamp,
    *,
    client_id: UUID,
    statement_id: UUID,
    reason: str = "",
    stopped_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    def decide(record: MedicationRecord, client: ClientRecord) -> UUID:
        plausible_for(stamp, client, "stoppedAt", stopped_at)
        statements.end_statement(record, stamp, rules, statement_id, reason, stopped_at)
        return statement_id

    return on_record(client_id, decide)


def mark_statement_entered_in_error(
    stamp: Stamp,
    *,
    client_id: UUID,
    statement_id: UUID,
    reason: str,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    """A statement recorded in error is corrected by a new event, never by editing it."""

    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        statements.enter_in_error(record, stamp, rules, statement_id, reason)
        return statement_id

    return on_record(client_id, decide)


def determine_take_home_eligibility(
    stamp: Stamp, *, client_id: UUID, decision: EligibilityDecision
) -> Command[UUID]:
    def decide(record: MedicationRecord, client: ClientRecord) -> UUID:
        plausible_for(stamp, client, "occurredAt", decision.occurred_at)
        eligibility.determine_eligibility(record, stamp, decision)
        return client_id

    return on_record(client_id, decide)


def administer_dose(
    stamp: Stamp, *, client_id: UUID, dose: GivenDose, rules: MedicationRules = DEFAULT_RULES
) -> Command[UUID]:
    dose_id = uuid4()
    dose = replace(dose, dosage_form=rules.formulary.written(dose.dosage_form))

    def decide(record: MedicationRecord, client: ClientRecord, drawn: Drawn) -> UUID:
        given = replace(dose, given_at=drawn.at, lot=drawn.lot(dose.lot))
        dispensing.administer(record, stamp, rules, dose_id, given, site=client.program)
        return dose_id

    poured = Poured(
        dose.order_id, dose.dosage_form, (("lot", dose.lot),), ("givenAt", dose.given_at),
        dose_id, dose.amount,
    )  # fmt: skip
    return from_stock(stamp, client_id, poured, decide, rules)


def replace_dose(
    stamp: Stamp,
    *,
    client_id: UUID,
    replacement: Replacement,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    dose_id = uuid4()
    replacement = replace(replacement, dosage_form=rules.formulary.written(replacement.dosage_form))

    def decide(record: MedicationRecord, client: ClientRecord, drawn: Drawn) -> UUID:
        given = replace(replacement, given_at=drawn.at, lot=drawn.lot(replacement.lot))
        dispensing.replace_dose(record, stamp, rules, dose_id, given, site=client.program)
        return dose_id

    poured = Poured(
        replacement.order_id, replacement.dosage_form, (("lot", replacement.lot),),
        ("givenAt", replacement.given_at), dose_id, replacement.amount,
    )  # fmt: skip
    return from_stock(stamp, client_id, poured, decide, rules)


def mark_dose_entered_in_error(
    stamp: Stamp, *, client_id: UUID, in_error: InError, rules: MedicationRules = DEFAULT_RULES
) -> Command[UUID]:
    """A dose charted in error is corrected by a new event, never by editing the dose."""

    def decide(record: MedicationRecord) -> tuple[str, Sequence[str]]:
        dispensing.enter_in_error(record, stamp, rules, in_error)
        charted = record.dose_order(in_error.dose_id).charted[in_error.dose_id]
        return charted.site, (charted.lot,)

    return _given_back(stamp, client_id, rules, in_error.dose_id, decide)


def mark_take_home_entered_in_error(
    stamp: Stamp,
    *,
    client_id: UUID,
    in_error: TakeHomeInError,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    """A take-home charted in error is corrected by a new event, never by editing it."""

    def decide(record: MedicationRecord) -> tuple[str, Sequence[str]]:
        dispensing.enter_take_home_in_error(record, stamp, rules, in_error)
        handed = record.take_home_order(in_error.dispense_id).handed_over[in_error.dispense_id]
        return handed.site, [bottle.lot for bottle in handed.bottles]

    return _given_back(stamp, client_id, rules, in_error.dispense_id, decide)


def return_take_home(
    stamp: Stamp,
    *,
    client_id: UUID,
    returned: TakeHomeReturn,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[Returned]:
    """Take-home bottles brought back, witnessed and destroyed: a new event beside the
    hand-overs; the recall alert is resolved once no recalled bottle is out, and the answer
    says which still are. A discharged client brings bottles back too."""

    def run(uow: UnitOfWork) -> Returned:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        record, program = uow.get(MedicationRecord, client_id), rules.for_program(client.program)
        at = dispensed_at(stamp, client, "returnedAt", returned.returned_at) or stamp.clock()
        witness_id = returned.witness_id.strip()
        witness = uow.get(UserAccess, user_record_id(one_way(witness_id)))
        member = uow.get(CareTeam, client_id).members.get(witness_id)
        return_id = returns.record_return(
            record,
            stamp,
            program,
            returned,
            at,
            witness_suspended=witness.suspended,
            witness_role=None if member is None else member.role,
        )
        out = still_out(record, client.discharged_at, program.day_of)
        if not out:
            settle(uow.get(AlertRecord, client_id), stamp)
        return Returned(return_id, tuple(out))

    return run


def witness_take_home_return(
    stamp: Stamp, *, client_id: UUID, return_id: UUID, rules: MedicationRules = DEFAULT_RULES
) -> Command[UUID]:
    """The witness a take-home return named confirms it under their own credentials, which
    resolves the alert a return left unconfirmed too long raised (``unwitnessed.py``)."""

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        record = uow.get(MedicationRecord, client_id)
        returns.witness_return(record, stamp, return_id)
        returned, _ = record.returns[return_id]
        unwitnessed.confirmed(uow.get(AlertRecord, client_id), stamp, returned.event_id)
        return return_id

    return run


def flag_unwitnessed_returns(
    *, client_id: UUID, now: datetime, alert_rules: AlertRules
) -> Command[int]:
    """Raise the alert of each of the client's take-home returns still unconfirmed by its
    witness past the alert row's hours at ``now``, as the alert rules' actor; how many were
    raised. A discharged client's returns count too: the doses were destroyed all the same."""

    def run(uow: UnitOfWork) -> int:
        uow.get(ClientRecord, client_id).require_enrolled()
        record = uow.get(MedicationRecord, client_id)
        return unwitnessed.flag(uow.get(AlertRecord, client_id), record, alert_rules, now)

    return run


def _given_back(
    stamp: Stamp,
    client_id: UUID,
    rules: MedicationRules,
    dispensed_id: UUID,
    correct: Callable[[MedicationRecord], tuple[str, Sequence[str]]],
) -> Command[UUID]:
    """A dispensing marked entered in error (``correct`` records the mark and answers the
    site it was dispensed at and the lots it named), and what it drew on them given back."""

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        site, lots = correct(uow.get(MedicationRecord, client_id))
        stock = uow.get(SiteStock, stock_id(site))
        records, signing = _lot_records(uow, stamp, stock, lots)
        draws.give_back(stock, records, signing, rules, dispensed_id, lots)
        return dispensed_id

    return named_for(run, correct)


def _lot_records(
    uow: UnitOfWork, stamp: Stamp, stock: SiteStock, lots: Iterable[str]
) -> tuple[Callable[[str], LotDraws], Stamp]:
    """The records of the draws on ``lots`` at ``stock``'s site, by the lot's name there, and
    ``stamp`` signing on them too: they are written as part of the client's dispensing the
    gate admitted, never named by the request."""
    ids = {stock.named(lot): draws_id(stock.site, stock.named(lot)) for lot in lots if lot}
    return lambda name: uow.get(LotDraws, ids[name]), stamp.also_for(*ids.values())


def record_dose_not_given(
    stamp: Stamp, *, client_id: UUID, not_given: NotGiven, rules: MedicationRules = DEFAULT_RULES
) -> Command[NotGivenRecorded]:
    def decide(record: MedicationRecord, client: ClientRecord) -> NotGivenRecorded:
        occurred_at = dispensed_at(stamp, client, "occurredAt", not_given.occurred_at)
        entry_id = dispensing.not_given(
            record, stamp, rules, replace(not_given, occurred_at=occurred_at)
        )
        return NotGivenRecorded(not_given.order_id, entry_id)

    return on_record(client_id, decide)


def mark_not_given_entered_in_error(
    stamp: Stamp,
    *,
    client_id: UUID,
    in_error: NotGivenInError,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    """A dose not given charted in error is corrected by a new event, never by editing it."""

    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.enter_not_given_in_error(record, stamp, rules, in_error)
        return in_error.entry_id

    return on_record(client_id, decide)


def dispense_take_home(
    stamp: Stamp, *, client_id: UUID, take_home: TakeHome, rules: MedicationRules = DEFAULT_RULES
) -> Command[UUID]:
    dispense_id = uuid4()
    take_home = replace(take_home, dosage_form=rules.formulary.written(take_home.dosage_form))

    def decide(record: MedicationRecord, client: ClientRecord, drawn: Drawn) -> UUID:
        bottles = tuple(replace(b, lot=drawn.lot(b.lot)) for b in take_home.bottles)
        given = replace(take_home, handed_over_at=drawn.at, bottles=bottles)
        readmitted_at = client.admitted_at if client.gaps else None
        dispensing.dispense_take_home(
            record, stamp, rules, dispense_id, given, program=client.program,
            readmitted_at=readmitted_at,
        )  # fmt: skip
        return dispense_id

    def bottle_days(order: Order, today: date) -> list[date]:
        doses = dispensing.take_home_doses(order, take_home.first_day, take_home.days, today)
        return [day for day, _ in doses]

    lots = tuple((f"bottles.{n}.lot", b.lot) for n, b in enumerate(take_home.bottles))
    when = ("handedOverAt", take_home.handed_over_at)
    poured = Poured(
        take_home.order_id, take_home.dosage_form, lots, when, dispense_id, for_days=bottle_days
    )
    return from_stock(stamp, client_id, poured, decide, rules)


def _in_treatment_on_each_day(stamp: Stamp, client: ClientRecord, start: date, end: date) -> None:
    """Refuse guest dosing over a day the client was out of treatment (arranged once they
    are readmitted): days dosed elsewhere count as methadone in hand, so such a day would hide
    the gap the restart rules hold a first dose back for."""
    out = client.out_of_treatment(stamp.day)
    day, last = start, min(end, stamp.day())
    while day <= last:
        if out(day):
            raise RuleViolation(
                "start",
                "client-discharged",
                f"the client was out of treatment on {day}; arrange guest dosing from the"
                " day of the readmission or later",
            )
        day += timedelta(days=1)


def arrange_guest_dosing(
    stamp: Stamp, *, client_id: UUID, site: str, start: date, end: date
) -> Command[UUID]:
    """Guest dosing tells the other site the client's orders and doses: a Part 2 disclosure,
    recorded with the arrangement, under a consent in force that names the site and covers
    medication and dosing, for the consent's purpose (42 CFR 2.31-2.33; domain.md section 3,
    guest dosing)."""
    guest_dosing_id, disclosure_id = uuid4(), uuid4()
    try:
        recipient = Recipient(type=RecipientType.ORGANIZATION, id=site, name=site)
    except ValidationError as invalid:
        reason = invalid.errors()[0]["msg"]
        raise InvalidInput("site", "site-name", f"site: {reason}") from None

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        client.require_in_treatment("clientId", stamp.clock())
        if client.enrolled_at is not None:
            day_after_enrolment(
                "start",
                start,
                stamp.day(client.enrolled_at),
                "no guest dosing is arranged for a day before it",
            )
        _in_treatment_on_each_day(stamp, client, start, end)
        record = uow.get(MedicationRecord, client_id)
        consents = uow.get(ConsentRecord, client_id)
        consent_id = consents.consent_for(recipient, GUEST_DOSING_KINDS, stamp.clock())
        if consent_id is None:
            raise RuleViolation(
                "site",
                "guest-dosing-consent",
                f"no consent in force names {site!r} as a recipient of medication and dosing"
                " records; record the client's consent naming that organization first",
            )
        dispensing.arrange_guest_dosing(
            record, stamp, guest_dosing_id=guest_dosing_id, site=site, start=start, end=end
        )
        consents.record_disclosure(
            stamp,
            disclosure_id=disclosure_id,
            recipient=recipient,
            data_kinds=GUEST_DOSING_KINDS,
            description=dispensing.guest_dosing_summary(record, start, end),
            consent_id=consent_id,
            break_glass_id=None,
        )
        return guest_dosing_id

    return run


def end_guest_dosing(
    stamp: Stamp, *, client_id: UUID, guest_dosing_id: UUID, ended_on: date, reason: str = ""
) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.end_guest_dosing(
            record, stamp, guest_dosing_id=guest_dosing_id, ended_on=ended_on, reason=reason
        )
        return guest_dosing_id

    return on_record(client_id, decide)


def detect_missed_doses(
    stamp: Stamp,
    *,
    client_id: UUID,
    today: date,
    rules: MedicationRules = DEFAULT_RULES,
    alert_rules: AlertRules = DEFAULT_ALERT_RULES,
) -> Command[int]:
    """Record the client's missed dosing days before ``today``, none before their enrolment
    nor while they were discharged (a dose for such a day is refused); the count of new
    ones. A hold the rule places over days take-home bottles are out for recalls them, as a
    prescriber's does: they hold the dose the hold withholds until the client is assessed."""

    def run(uow: UnitOfWork) -> int:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        record = uow.get(MedicationRecord, client_id)
        found = dispensing.record_missed(
            record, stamp, rules, today, _enrolled_on(client, rules),
            client.out_of_treatment(rules.day_of),
        )  # fmt: skip
        for recorded in record.pending:
            if isinstance(recorded.event, OrderHeld):
                recall(uow.get(AlertRecord, client_id), record, recorded.event, rules.day_of,
                       alert_rules)  # fmt: skip
        return found

    return run


def _enrolled_on(client: ClientRecord, rules: MedicationRules) -> date | None:
    """The program's day the client enrolled: no day before it is missed."""
    return None if client.enrolled_at is None else rules.day_of(client.enrolled_at)
