"""The medication record aggregate: one client's orders and the doses given against them.

Orders and dosing live in one aggregate so the safety invariants that span them (no
dose against an order that is not active, no second dose for a slot) hold under
concurrency through a single optimistic-concurrency check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from carecoord.events import CareEvent, DoseAdministered, MedicationPrescribed, Schedule
from carecoord.services.aggregate import Aggregate
from carecoord.services.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.medication.formulary import lookup
from carecoord.services.stamp import Stamp


@dataclass(slots=True)
class Order:
    order_id: UUID
    medication: str
    dose: Decimal
    unit: str
    schedule: Schedule
    start: date
    end: date | None
    given: dict[tuple[date, int], UUID] = field(default_factory=dict)

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class MedicationRecord(Aggregate):
    context: ClassVar[str] = "medication"

    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.orders: dict[UUID, Order] = {}

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, MedicationPrescribed):
            self.orders[event.order_id] = Order(
                event.order_id,
                event.medication,
                event.dose,
                event.unit,
                event.schedule,
                event.start,
                event.end,
            )
        elif isinstance(event, DoseAdministered):
            self.orders[event.order_id].given[(event.day, event.slot)] = event.dose_id

    def prescribe(
        self,
        stamp: Stamp,
        *,
        order_id: UUID,
        medication: str,
        dose: Decimal,
        unit: str,
        route: str,
        schedule: Schedule,
        start: date,
        end: date | None,
        indication: str,
        occurred_at: datetime | None,
    ) -> None:
        drug = lookup(medication)
        if dose <= 0:
            raise InvalidInput("dose", "positive-dose", f"dose must be above 0, got {dose}")
        if unit != drug.unit:
            raise InvalidInput("unit", "formulary-unit", f"{drug.name} is dosed in {drug.unit}")
        if route not in drug.routes:
            raise InvalidInput(
                "route", "formulary-route", f"{drug.name} routes: {', '.join(drug.routes)}"
            )
        if end is not None and end < start:
            raise InvalidInput("end", "end-after-start", f"end {end} is before start {start}")
        self.record(
            stamp.event(
                MedicationPrescribed,
                self.client_id,
                occurred_at,
                order_id=order_id,
                medication=drug.code,
                dose=dose,
                unit=unit,
                route=route,
                schedule=schedule,
                start=start,
                end=end,
                indication=indication,
            )
        )

    def administer(
        self,
        stamp: Stamp,
        *,
        dose_id: UUID,
        order_id: UUID,
        amount: Decimal,
        dosage_form: str,
        slot: int,
        given_at: datetime,
    ) -> None:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFound("orderId", "unknown-order", f"client has no order {order_id}")
        drug = lookup(order.medication)
        day = given_at.date()
        if amount <= 0:
            raise InvalidInput("amount", "positive-dose", f"amount must be above 0, got {amount}")
        if not order.active_on(day):
            raise RuleViolation(
                "orderId",
                "order-active",
                f"order {order_id} is active from {order.start}"
                + (f" to {order.end}" if order.end else "")
                + f", not on {day}",
            )
        per_slot = order.dose / order.schedule.times_per_day
        if amount > per_slot:
            raise RuleViolation(
                "amount",
                "prescribed-amount",
                f"at most {per_slot} {order.unit} per dose is prescribed, got {amount}",
            )
        if not 1 <= slot <= order.schedule.times_per_day:
            raise InvalidInput(
                "slot",
                "scheduled-slot",
                f"slot must be between 1 and {order.schedule.times_per_day}, got {slot}",
            )
        if (day, slot) in order.given:
            raise RuleViolation(
                "slot",
                "one-dose-per-slot",
                f"slot {slot} on {day} was already given (dose {order.given[(day, slot)]})",
            )
        if dosage_form not in drug.forms:
            raise InvalidInput(
                "dosageForm", "formulary-form", f"{drug.name} forms: {', '.join(drug.forms)}"
            )
        self.record(
            stamp.event(
                DoseAdministered,
                self.client_id,
                given_at,
                dose_id=dose_id,
                order_id=order_id,
                medication=order.medication,
                amount=amount,
                unit=order.unit,
                dosage_form=dosage_form,
                slot=slot,
                day=day,
            )
        )
