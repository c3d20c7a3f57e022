"""Take-home bottles out when treatment stops or is held: the recall alert.

A stop or a hold is never refused for bottles at home (an adverse reaction cannot wait), but
a bottle handed over for a program day after an order was discontinued or put on hold, or
after the client was discharged, holds a dose the client must no longer take: under 42 CFR
8.12(i) take-homes are controlled against diversion, and unused ones are brought back when
treatment stops. The stop or hold raises take-home-recall for the care team, naming each
such bottle's day and lot (no free text). A hold the missed-dose rule places raises it too
(version 3): days missed in a row may have cost the client their tolerance, and the hold
withholds the dose until a prescriber assesses them, which a bottle at home still holds;
the client has not come to the window, so the care team reaches them. Bottles brought back
are recorded as returned (``returnTakeHome``, ``medication/returns.py``), witnessed and
destroyed; the return that leaves no recalled bottle out resolves the alert, as does the
resume that lifts a hold with none out for a day it withheld (the order is in force again).

The recall is a row of the alert table (``rules.py``): a program sets its severity or turns
it off as any row's, and the row's version is recorded in the alerts it raises. A dose change
or taper raises none: it is refused while bottles are out for its days
(``start-after-last-dispensed``), so a bottle never holds another order's dose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.alerts import AlertRaised
from carecoord.events.care import ClientDischarged
from carecoord.events.medication import OrderDiscontinued, OrderHeld, TakeHomeBottle
from carecoord.services.alerts.evaluation import Finding, alert_raised
from carecoord.services.alerts.record import AlertRecord, Status
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.orders import Order
from carecoord.services.medication.record import MedicationRecord

RECALL = "take-home-recall"
"""The recall row's id: high by default (``rules.py``), as an opioid agonist the client may
no longer take (stopped for an adverse reaction, say) or that may be diverted is the overdose
risk domain.md section 5 rates high."""


def bottles_after(orders: Iterable[Order], day: date) -> list[TakeHomeBottle]:
    """The bottles handed over under ``orders`` (none marked entered in error) for program
    days after ``day`` and not returned since, by day and slot."""
    return [bottle for _, bottle in out_after(orders, day)]


def out_after(orders: Iterable[Order], day: date) -> list[tuple[UUID, TakeHomeBottle]]:
    """``bottles_after``, each with the take-home it was handed over in."""
    return sorted(
        (
            (dispense_id, bottle)
            for order in orders
            for dispense_id, over in order.handed_over.items()
            if dispense_id not in order.take_home_in_error
            for bottle in over.bottles
            if bottle.day > day and (dispense_id, bottle.day, bottle.slot) not in order.returned
        ),
        key=lambda out: (out[1].day, out[1].slot),
    )


def recalled(
    rules: AlertRules,
    record: MedicationRecord,
    open_rules: frozenset[str],
    stop: CareEvent,
    day: date,
) -> AlertRaised | None:
    """take-home-recall on ``stop`` (applied to ``record``; on the program's ``day``), by the
    row ``rules`` hold: for an order discontinued, the bottles of its medication's orders no
    longer in force, for an order put on hold (by a person or the missed-dose rule) its
    own, for a discharge every order's; none if no bottle is out, the program turned the row
    off, or its alert is still open (a discharge after the stop that raised it). The commands
    and the replay (``replay.py``) both ask it."""
    if isinstance(stop, OrderHeld):
        orders = [record.orders[stop.order_id]]
    elif isinstance(stop, OrderDiscontinued):
        drug = record.orders[stop.order_id].medication
        orders = [o for o in record.orders.values() if o.medication == drug and not o.current]
    elif isinstance(stop, ClientDischarged):
        orders = list(record.orders.values())
    else:
        return None
    rule = rules.rule(RECALL)
    bottles = bottles_after(orders, day)
    if rule is None or not bottles or rule.id in open_rules:
        return None
    lots = "; ".join(
        f"lot {lot} {_runs(sorted({b.day for b in held}))} ({len(held)})"
        for lot, held in _by_lot(bottles).items()
    )
    detail = f"{len(bottles)} bottles for days after {day}: {lots}"
    if len(detail) > 500:
        detail = detail[:497] + "..."
    return alert_raised(rule, stop, Finding(detail, (stop.event_id,)))


def _by_lot(bottles: list[TakeHomeBottle]) -> dict[str, list[TakeHomeBottle]]:
    found: dict[str, list[TakeHomeBottle]] = {}
    for bottle in bottles:
        found.setdefault(bottle.lot, []).append(bottle)
    return found


def _runs(days: list[date]) -> str:
    """``days`` (ascending) as runs of consecutive days: four weeks of bottles fit the
    detail as one run where a list of days would not."""
    runs: list[tuple[date, date]] = []
    for d in days:
        if runs and d - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return ", ".join(str(a) if a == b else f"{a} to {b}" for a, b in runs)


def recall(
    alerts: AlertRecord,
    record: MedicationRecord,
    stop: CareEvent,
    day_of: Callable[[datetime], date],
    rules: AlertRules,
) -> None:
    """Record on ``alerts`` the take-home-recall ``stop`` raises, if any (``recalled``)."""
    raised = recalled(rules, record, alerts.open_rules, stop, day_of(stop.occurred_at))
    if raised is not None:
        alerts.raise_alert(raised)


def still_out(
    record: MedicationRecord, discharged_at: datetime | None, day_of: Callable[[datetime], date]
) -> list[tuple[UUID, TakeHomeBottle]]:
    """The bottles a recall may name that are still out, each with its take-home: those of a
    stopped order for days after its stop, of an order put on hold for days after the hold
    and before the day it was lifted (from then on the order is in force again, and its
    bottles hold its doses), and, while the client is discharged, every order's for days
    after the discharge."""
    out = {
        (dispense_id, bottle.day, bottle.slot): (dispense_id, bottle)
        for order in record.orders.values()
        for after, until in _recalled_days(order, day_of)
        for dispense_id, bottle in out_after([order], after)
        if until is None or bottle.day < until
    }
    if discharged_at is not None:
        for dispense_id, bottle in out_after(record.orders.values(), day_of(discharged_at)):
            out[(dispense_id, bottle.day, bottle.slot)] = (dispense_id, bottle)
    return sorted(out.values(), key=lambda o: (o[1].day, o[1].slot))


def _recalled_days(
    order: Order, day_of: Callable[[datetime], date]
) -> Iterator[tuple[date, date | None]]:
    """The days an order's bottles are recalled for, each as (after, until): after its stop's
    day; after each hold's day, until the day the hold was lifted (None: not lifted)."""
    if order.stopped_at is not None:
        yield day_of(order.stopped_at), None
    for placed, lifted in order.held:
        yield day_of(placed), None if lifted is None else day_of(lifted)


RETURNED = "every take-home bottle recalled is returned and destroyed (returnTakeHome)"
LIFTED = (
    "the hold was lifted (resumeOrder): the bottles recalled for days from then on hold doses"
    " of the order in force again, and none recalled for a day it withheld is out"
)


def settle(alerts: AlertRecord, stamp: Stamp, note: str = RETURNED) -> None:
    """Resolve the open take-home-recall alerts once ``still_out`` finds no bottle a recall
    may name, saying why in ``note``: the return that brought the last one back, or the
    resume that lifted the hold over the last ones left."""
    for alert_id, alert in list(alerts.alerts.items()):
        if alert.rule_id == RECALL and alert.status is not Status.RESOLVED:
            alerts.resolve(stamp, alert_id, note, None)
