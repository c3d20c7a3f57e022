"""The medication record aggregate: one client's orders, statements, findings and doses.

Orders and dosing live in one aggregate so the safety invariants that span them (no
dose against an order that is not active, no second dose for a slot, take-home supply
within the caps) hold under concurrency through a single optimistic-concurrency check.
This module folds events into state; the decisions are in ``prescribing.py`` and
``dispensing.py``, which validate everything first and then ``record``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.medication import (
    DoseAdministered,
    DoseChanged,
    DoseEnteredInError,
    DoseMissed,
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    GuestDosingArranged,
    GuestDosingEnded,
    InteractionFound,
    MedicationPrescribed,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    OverrideAcknowledged,
    StatementSource,
    TakeHomeDispensed,
    TakeHomeEligibilityDetermined,
    TakeHomeEnteredInError,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
    TaperOrdered,
)
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.errors import NotFound
from carecoord.services.kernel.marked import Marked
from carecoord.services.medication.orders import Charted, HandedOver, Hold, Order, Status
from carecoord.services.stock.record import Attestation

PRESCRIBED_SOURCES = frozenset({StatementSource.OTHER_PRESCRIBER, StatementSource.PDMP})
"""Who tells of a medication as prescribed to the client (``Statement.prescribed``)."""


@dataclass(slots=True)
class Statement:
    statement_id: UUID
    medication: str
    since: date | None = None
    active: bool = True
    stopped_at: datetime | None = None
    in_error: Marked | None = None
    """Marked entered in error: it never was, and counts nowhere."""
    prescribed: bool = False
    """Another prescriber or the PDMP reports it: a prescription, not use the client told of."""


@dataclass(slots=True)
class NotGivenEntry:
    """A dose not given as charted, by its event's id: what its correction names."""

    order_id: UUID
    day: date
    slot: int
    in_error: Marked | None = None
    """Marked entered in error (when and by whom, never why): it accounts for no day."""


@dataclass(slots=True)
class GuestDosing:
    site: str
    start: date
    end: date
    arranged_at: datetime
    """When it was arranged: a discharge dated back before then ends it then, not before."""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Eligibility:
    max_days: int
    determined_at: datetime
    by: str


class MedicationRecord(Aggregate, context="medication"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.orders: dict[UUID, Order] = {}
        self.statements: dict[UUID, Statement] = {}
        self.findings: set[tuple[str, frozenset[UUID]]] = set()
        self.guest_dosing: dict[UUID, GuestDosing] = {}
        self.determinations: list[Eligibility] = []
        """Every take-home eligibility determination, in the order recorded."""
        self.first_dose_day: date | None = None
        self.last_ordered: datetime | None = None
        """When the latest order (a prescription, dose change or taper) was written: a
        discharge dated before it would leave it written for a client out of treatment."""
        self.not_given: dict[UUID, NotGivenEntry] = {}
        """Every dose not given, by its ``DoseNotGiven`` event's id (one marked in error too)."""
        self.returns: dict[UUID, tuple[TakeHomeReturned, Attestation]] = {}
        """Every take-home return, by its id, as recorded, awaiting (or given) its witness's
        confirmation."""

    def order(self, order_id: UUID, field: str = "orderId") -> Order:
        found = self.orders.get(order_id)
        if found is None:
            raise NotFound(field, "unknown-order", f"the client has no order {order_id}")
        return found

    def dose_order(self, dose_id: UUID) -> Order:
        """The order a dose given at the window was charted under."""
        found = next((o for o in self.orders.values() if dose_id in o.charted), None)
        if found is None:
            raise NotFound(
                "doseId", "unknown-dose", f"the client has no dose {dose_id} given at the window"
            )
        return found

    def take_home_order(self, dispense_id: UUID, field: str = "dispenseId") -> Order:
        """The order a take-home was handed over under."""
        found = next((o for o in self.orders.values() if dispense_id in o.handed_over), None)
        if found is None:
            raise NotFound(
                field,
                "unknown-take-home",
                f"the client has no take-home {dispense_id} handed over",
            )
        return found

    def not_given_entry(self, entry_id: UUID) -> NotGivenEntry:
        """A dose not given, by the id its recording answered."""
        found = self.not_given.get(entry_id)
        if found is None:
            raise NotFound(
                "entryId", "unknown-entry", f"the client has no dose not given {entry_id}"
            )
        return found

    def away_on(self, day: date) -> GuestDosing | None:
        """The guest-dosing arrangement that has the client dosing elsewhere on ``day``."""
        return next((g for g in self.guest_dosing.values() if g.covers(day)), None)

    def dosed_elsewhere(
        self, order: Order, day_of: Callable[[datetime], date]
    ) -> list[tuple[date, date]]:
        """The (first, last) days the client guest doses elsewhere by ``order``: the guest
        site doses by the orders in force, so within its period and up to the program day
        it was stopped (``day_of``); none by an order entered in error, which never was."""
        if order.status is Status.ENTERED_IN_ERROR:
            return []
        last = order.end
        if order.stopped_at is not None:
            stopped = day_of(order.stopped_at)
            last = stopped if last is None else min(last, stopped)
        spans = [
            (max(away.start, order.start), away.end if last is None else min(away.end, last))
            for away in self.guest_dosing.values()
        ]
        return [(first, end) for first, end in spans if first <= end]

    def in_force_on(self, day: date) -> list[UUID]:
        """The orders a dose may still be given under on ``day`` or later: active or held,
        not replaced by another, not ended before it."""
        return [
            o.order_id
            for o in self.orders.values()
            if o.status in (Status.ACTIVE, Status.ON_HOLD)
            and o.replaced_by is None
            and (o.end is None or o.end >= day)
        ]

    def last_written(self) -> datetime | None:
        """When the latest order not marked entered in error was written."""
        return max(
            (o.written_at for o in self.orders.values() if o.status is not Status.ENTERED_IN_ERROR),
            default=None,
        )

    def given_at(self, medications: Collection[str] | None = None) -> Iterator[datetime]:
        """When each dose at the window was given (not marked entered in error), of
        ``medications`` under any of their orders, or of every medication."""
        for order in self.orders.values():
            if medications is None or order.medication in medications:
                for dose_id, charted in order.charted.items():
                    if dose_id not in order.in_error:
                        yield charted.given_at

    def last_given(self) -> tuple[datetime | None, date | None]:
        """When the latest dose was given at the window, and the program day of the latest
        take-home handed over (neither marked entered in error): a discharge dated before
        either would leave it given to a client out of treatment."""
        doses = list(self.given_at())
        handed = [
            over.day
            for order in self.orders.values()
            for dispense_id, over in order.handed_over.items()
            if dispense_id not in order.take_home_in_error
        ]
        return max(doses, default=None), max(handed, default=None)

    def take_home_days(self) -> set[date]:
        """The days the take-home bottles handed over and still out last (``Order.lasts``):
        one returned, if only in part, is no supply the client holds."""
        return {
            lasting
            for order in self.orders.values()
            for (day, slot), dispense_id in order.take_home.items()
            if (dispense_id, day, slot) not in order.returned
            for lasting in order.lasts(day)
        }

    def apply(self, event: CareEvent) -> None:  # noqa: PLR0912  (one branch per event type)
        if isinstance(event, MedicationPrescribed | DoseChanged | TaperOrdered):
            self._apply_order(event)
        elif isinstance(event, OrderHeld):
            order = self.orders[event.order_id]
            order.status = Status.ON_HOLD
            order.hold = Hold(
                event.occurred_at, event.actor.id, event.reason, event.rule_id, event.rule_version
            )
            order.held.append((event.occurred_at, None))
        elif isinstance(event, OrderResumed):
            order = self.orders[event.order_id]
            order.status, order.hold = Status.ACTIVE, None
            start, _ = order.held[-1]
            order.held[-1] = (start, event.occurred_at)
        elif isinstance(event, OrderDiscontinued | OrderEnteredInError):
            order = self.orders[event.order_id]
            order.status = (
                Status.STOPPED if isinstance(event, OrderDiscontinued) else Status.ENTERED_IN_ERROR
            )
            order.stopped = Marked(event.occurred_at, event.actor.id)
        elif isinstance(event, OrderReinstated):
            self._apply_reinstated(event)
        elif isinstance(event, MedicationStatementRecorded):
            self.statements[event.statement_id] = Statement(
                event.statement_id, event.medication, event.since,
                prescribed=event.source in PRESCRIBED_SOURCES,
            )  # fmt: skip
        elif isinstance(event, MedicationStatementEnded | MedicationStatementEnteredInError):
            self._apply_statement_change(event)
        elif isinstance(event, InteractionFound):
            self.findings.add((event.rule_id, frozenset(i.id for i in event.implicated)))
        elif isinstance(event, TakeHomeEligibilityDetermined):
            self._apply_eligibility(event)
        elif isinstance(event, GuestDosingArranged):
            self.guest_dosing[event.guest_dosing_id] = GuestDosing(
                event.site, event.start, event.end, event.occurred_at
            )
        elif isinstance(event, GuestDosingEnded):
            self.guest_dosing[event.guest_dosing_id].end = event.ended_on - timedelta(days=1)
        elif isinstance(event, DoseAdministered):
            self._apply_dose(event)
        elif isinstance(event, DoseEnteredInError):
            self._apply_in_error(event)
        elif isinstance(event, TakeHomeDispensed):
            self._apply_take_home(event)
        elif isinstance(event, TakeHomeEnteredInError | TakeHomeReturned | TakeHomeReturnWitnessed):
            self._apply_bottles_back(event)
        elif isinstance(event, DoseNotGiven):
            self.not_given[event.event_id] = NotGivenEntry(event.order_id, event.day, event.slot)
            self.orders[event.order_id].not_given.add(event.day)
        elif isinstance(event, DoseNotGivenEnteredInError):
            self._apply_not_given_in_error(event)
        elif isinstance(event, DoseMissed):
            self.orders[event.order_id].missed.add(event.day)
        elif isinstance(event, OverrideAcknowledged) and event.order_id in self.orders:
            order = self.orders[event.order_id]
            order.acknowledged.add(event.rule_id)
            since = order.acknowledged_at.get(event.rule_id, event.occurred_at)
            order.acknowledged_at[event.rule_id] = max(since, event.occurred_at)

    def _apply_statement_change(
        self, event: MedicationStatementEnded | MedicationStatementEnteredInError
    ) -> None:
        statement = self.statements[event.statement_id]
        statement.active = False
        if isinstance(event, MedicationStatementEnded):
            statement.stopped_at = event.occurred_at
        else:
            statement.in_error = Marked(event.occurred_at, event.actor.id)

    def _apply_not_given_in_error(self, event: DoseNotGivenEnteredInError) -> None:
        """Its day is no longer accounted for, unless another dose not given under the order
        that stands is recorded for it."""
        marked = self.not_given[event.entry_id]
        marked.in_error = Marked(event.occurred_at, event.actor.id)
        if not any(
            e.in_error is None and (e.order_id, e.day) == (marked.order_id, marked.day)
            for e in self.not_given.values()
        ):
            self.orders[marked.order_id].not_given.discard(marked.day)

    def _apply_eligibility(self, event: TakeHomeEligibilityDetermined) -> None:
        """Kept by when it was made (a time ahead within the clock tolerance counts from its
        recording): one charted late from paper stands for its own time only."""
        determined_at = min(event.occurred_at, event.recorded_at)
        self.determinations.append(Eligibility(event.max_days, determined_at, event.actor.id))

    def eligibility_at(self, moment: datetime) -> Eligibility | None:
        """The determination in force at ``moment``: the latest made by then, by when it was
        made (42 CFR 8.12(i): a reassessment stands; one charted late, dated before the one
        in force, does not undo it), the last recorded of those made at one time."""
        made = [e for e in self.determinations if e.determined_at <= moment]
        return max(reversed(made), key=lambda e: e.determined_at, default=None)

    def _apply_order(self, event: MedicationPrescribed | DoseChanged | TaperOrdered) -> None:
        order = Order(
            event.order_id,
            event.medication,
            event.dose,
            event.unit,
            event.route,
            event.schedule,
            event.start,
            event.end,
            event.dispensing,
            event.occurred_at,
            event.recorded_at,
            written_by=event.actor.id,
        )
        if isinstance(event, DoseChanged | TaperOrdered):
            prior = self.orders[event.prior_order_id]
            prior.replaced_by = event.order_id
            prior.end_unreplaced = prior.end
            last = event.start - timedelta(days=1)
            prior.end = last if prior.end is None else min(prior.end, last)
            order.prior_order_id = event.prior_order_id
        if isinstance(event, TaperOrdered):
            order.steps, order.blind = event.steps, event.blind
        self.orders[event.order_id] = order
        self.last_ordered = max(event.occurred_at, self.last_ordered or event.occurred_at)

    def _apply_reinstated(self, event: OrderReinstated) -> None:
        """Back in force from ``start`` to its own end; the days the cancelled replacement
        covered before that are a gap in its period."""
        order = self.orders[event.order_id]
        cancelled = self.orders[event.in_error_order_id]
        order.replaced_by, order.end, order.end_unreplaced = None, event.end, None
        if event.start > cancelled.start:
            order.gaps.append((cancelled.start, event.start - timedelta(days=1)))
        # Back in the picture: its findings are judged afresh (the earlier ones were resolved
        # when it was replaced), and found again where they still hold.
        self.findings = {f for f in self.findings if event.order_id not in f[1]}

    def _apply_dose(self, event: DoseAdministered) -> None:
        order = self.orders[event.order_id]
        order.amounts[event.dose_id] = (event.day, event.amount)
        order.charted[event.dose_id] = Charted(
            event.slot,
            event.dosage_form,
            event.strength,
            event.dea_schedule,
            event.site,
            event.lot,
            event.bottle,
            event.replaces_dose_id,
            event.occurred_at,
        )
        order.doses_on.setdefault(event.day, []).append(event.dose_id)
        if event.replaces_dose_id is not None:
            order.replaced[event.replaces_dose_id] = event.dose_id
        else:
            order.given[(event.day, event.slot)] = event.dose_id
        if self.first_dose_day is None or event.day < self.first_dose_day:
            self.first_dose_day = event.day

    def _apply_in_error(self, event: DoseEnteredInError) -> None:
        """The dose leaves its day, its slot (or, a replacement, the dose it replaced: that
        one counts as lost again) and the first dose day; what it was charted with stays."""
        order = self.orders[event.order_id]
        order.in_error[event.dose_id] = Marked(event.occurred_at, event.actor.id)
        doses = order.doses_on.get(event.day, [])
        if event.dose_id in doses:
            doses.remove(event.dose_id)
            if not doses:
                del order.doses_on[event.day]
        if event.replaces_dose_id is not None:
            if order.replaced.get(event.replaces_dose_id) == event.dose_id:
                del order.replaced[event.replaces_dose_id]
        elif order.given.get((event.day, event.slot)) == event.dose_id:
            del order.given[(event.day, event.slot)]
        if event.day == self.first_dose_day:
            days = [day for o in self.orders.values() for day in o.doses_on]
            self.first_dose_day = min(days, default=None)

    def _apply_take_home(self, event: TakeHomeDispensed) -> None:
        order = self.orders[event.order_id]
        order.handed_over[event.dispense_id] = HandedOver(
            event.dosage_form,
            event.strength,
            event.dea_schedule,
            event.site,
            event.bottles,
            event.days_covered,
            event.day or event.occurred_at.date(),  # the program's day; UTC's in older events
        )
        for bottle in event.bottles:
            order.take_home[(bottle.day, bottle.slot)] = event.dispense_id

    def _apply_bottles_back(
        self, event: TakeHomeEnteredInError | TakeHomeReturned | TakeHomeReturnWitnessed
    ) -> None:
        if isinstance(event, TakeHomeReturned):
            self._apply_returned(event)
        elif isinstance(event, TakeHomeReturnWitnessed):
            self.returns[event.return_id][1].witnessed = True
        else:
            self._apply_take_home_in_error(event)

    def _apply_take_home_in_error(self, event: TakeHomeEnteredInError) -> None:
        """Its bottles leave the (day, slot) they covered, so the days are free to chart and
        count in no supply or dosed day; what it was charted with stays."""
        order = self.orders[event.order_id]
        order.take_home_in_error[event.dispense_id] = Marked(event.occurred_at, event.actor.id)
        for bottle in event.bottles:
            if order.take_home.get((bottle.day, bottle.slot)) == event.dispense_id:
                del order.take_home[(bottle.day, bottle.slot)]

    def _apply_returned(self, event: TakeHomeReturned) -> None:
        """Its bottles are no longer out; one returned full leaves its (day, slot), so the day
        reads as not dosed and no longer holds back a new order (its dose was not taken)."""
        attestation = Attestation("take-home return", event.actor.id, event.witness_id)
        self.returns[event.return_id] = (event, attestation)
        order = self.orders[event.order_id]
        for bottle in event.bottles:
            order.returned.add((bottle.dispense_id, bottle.day, bottle.slot))
            key = (bottle.day, bottle.slot)
            if bottle.full and order.take_home.get(key) == bottle.dispense_id:
                del order.take_home[key]
