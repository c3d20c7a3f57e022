"""What the client was exposed to, as the interaction rules see it.

A rule whose risk outlasts the last dose (an antagonist after an agonist, an MAOI after
an SSRI) must see more than the orders in force. Each order and statement becomes one
``Entry`` of the picture, with ``through``, the last day its medication acts:

- an order in force: while it lasts (None without an end date, else its end date);
- a clinic-dispensed order no longer in force (stopped, replaced, past its end, or in
  error): the last day a dose was given or a take-home bottle covers (bottles handed over
  stay in hand), or the client guest dosed elsewhere by it (the guest site doses by the
  orders in force: the last dose there is the last one taken), plus the days one dose acts
  (``Medication.acts_days``, a month for a long-acting injectable, or the order's dosing
  interval); nothing if nothing was given;
- a pharmacy-filled order no longer in force: the day it stopped or ended;
- a medication from elsewhere: while it is taken, then through the day it stopped;
- a drug screen that found an opioid, alcohol, a benzodiazepine or a barbiturate (or use of
  one reported at a check-in): through the day its specimen was collected (or the use
  reported).

The rule's washout (``interactions.py``) then says how long past ``through`` it counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from carecoord.events.medication import Dispensing, Schedule
from carecoord.services.medication.formulary import Medication
from carecoord.services.medication.interactions import Entry
from carecoord.services.medication.monitored import NOTHING, Monitored
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord, Statement
from carecoord.services.medication.rules import MedicationRules


def picture(
    record: MedicationRecord,
    rules: MedicationRules,
    today: date,
    monitored: Monitored = NOTHING,
    *,
    replacing: UUID | None = None,
) -> list[Entry]:
    """Everything the client takes, or took recently enough that a rule may still count it,
    and what their drug screens found (``monitored.py``); ``replacing`` is the order a dose
    change or taper is about to replace."""
    entries = [
        entry
        for order in record.orders.values()
        if order.order_id != replacing and (entry := order_exposure(record, order, rules, today))
    ]
    entries += [
        statement_exposure(s, rules.formulary.lookup(s.medication), rules)
        for s in record.statements.values()
        if s.in_error is None
    ]
    return entries + monitored.exposures(rules, entries)


def ordered(
    order_id: UUID, drug: Medication, schedule: Schedule, start: date, end: date | None
) -> Entry:
    """An order being written (or put back in force), acting from ``start`` through its last
    dose's days: an order due to start later meets it only if it lasts until then."""
    through = None if end is None else end + acting(schedule, drug)
    return Entry(order_id, drug.code, drug.classes, through=through, start=start)


def acting(schedule: Schedule, drug: Medication) -> timedelta:
    """The days after a dosing day that its dose still acts: to the next dosing day of the
    schedule, or for as long as one dose acts (an injection's month)."""
    return timedelta(days=max(schedule.every_days, drug.acts_days) - 1)


def order_exposure(
    record: MedicationRecord, order: Order, rules: MedicationRules, today: date
) -> Entry | None:
    drug = rules.formulary.lookup(order.medication)
    acts = acting(order.schedule, drug)
    if order.status is not Status.ENTERED_IN_ERROR and order.current_on(today):
        if order.end is None:
            return _entry(order, drug, None, "order in force")
        return _entry(order, drug, order.end + acts, f"order in force until {order.end}")
    if order.dispensing is Dispensing.CLINIC or order.status is Status.ENTERED_IN_ERROR:
        dispensed = order.dispensed_days()
        away = [min(last, today) for first, last in record.dosed_elsewhere(order, rules.day_of)
                if first <= today]  # fmt: skip
        if not dispensed and not away:
            return None
        last = max(dispensed | set(away))
        return _entry(order, drug, last + acts, _last_dispensed(order, last, acts))
    stopped = _stop_day(order, rules)
    if stopped is None or stopped < order.start:
        return None
    return _entry(order, drug, stopped + acts, f"order {order.status_on(today)} {stopped}")


def statement_exposure(statement: Statement, drug: Medication, rules: MedicationRules) -> Entry:
    through, basis = None, "reported from elsewhere, taken now"
    if statement.stopped_at is not None:
        through = rules.day_of(statement.stopped_at)
        basis = f"reported from elsewhere, stopped {through}"
    return Entry(
        statement.statement_id,
        statement.medication,
        drug.classes,
        is_statement=True,
        through=through,
        basis=basis,
        start=statement.since,
    )


def _entry(order: Order, drug: Medication, through: date | None, basis: str) -> Entry:
    return Entry(
        order.order_id, order.medication, drug.classes, through=through, basis=basis,
        start=order.start,
    )  # fmt: skip


def _last_dispensed(order: Order, last: date, acts: timedelta) -> str:
    if last not in order.dispensed_days():
        return f"guest dosing elsewhere through {last}"
    if last not in order.doses_on:
        return f"take-home doses in hand through {last}"
    if acts:
        return f"dose given {last}, acting {acts.days + 1} days"
    return f"last dose given {last}"


def _stop_day(order: Order, rules: MedicationRules) -> date | None:
    """The last day a pharmacy-filled order was taken: stopped, or its (earlier) end."""
    stopped = rules.day_of(order.stopped_at) if order.stopped_at else None
    days = [d for d in (order.end, stopped) if d is not None]
    return min(days) if days else None
