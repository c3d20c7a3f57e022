"""The initial (induction) dose of methadone: what a new client may be given on their first
dosing day without the prescriber's documented rationale.

42 CFR 8.12(h) as revised in 2024 (effective 2 April 2024): the initial dose of methadone
should not exceed 50 mg unless the OTP practitioner finds sufficient medical rationale for a
higher one and documents it in the record (the earlier rule: 30 mg initial, 40 mg in all on
the first day). The cap is read as the first dosing day's total, split doses and a take-home
part of one counted together: an initial dose split in two is still the day's intake, and
the earlier rule capped the day as well. Above it, an order needs the prescriber's
acknowledgement of rule ``methadone-initial-dose`` with a reason, recorded as an override
as a dose above the usual maximum is (``doses.py``, ``findings.record_override``).

A client is in induction until the first day a methadone dose is given here, at the window
or in a take-home bottle (one marked entered in error was not given). A prescription, dose
change or taper written while that is so is judged on the dose of its first day (a taper's
first step): the order the client will be started on. The platform has no missed-days
threshold past which a restart counts as a new induction: after
``consecutive-missed-doses`` an order is held until a prescriber assesses the client, and
the dose it is resumed or changed at is theirs to decide; a client dosed here before is not
held to the cap again.

The window holds the first dosing day to the cap too, whatever the order: a dose or
take-home that would bring that day's methadone above it is refused unless the order it is
given under carries the acknowledgement. An order written without one (before this rule, or
while the client had a dose since marked entered in error) is given up to the cap on that
day; a dose change from that day with the acknowledgement lifts it. A dose charted late for
an earlier day makes that day the first. A replacement of a spilled dose is not checked: it
stands in for a dose given, at most its amount, so the day's total does not grow.

A program may set a lower cap, with its source, in its program file (a state's rule); never
a higher one, which would let a higher initial dose through without the documented rationale
the federal rule asks for. The cap's version goes into every override it causes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carecoord.events.bounds import said
from carecoord.events.medication import Severity
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.doses import Override
from carecoord.services.medication.orders import Order
from carecoord.services.medication.record import MedicationRecord

INITIAL_DOSE = "methadone-initial-dose"
FEDERAL_CAP = Decimal(50)
FEDERAL_SOURCE = (
    "42 CFR 8.12(h), 89 FR 7528 (2 Feb 2024, effective 2 Apr 2024): initial dose of methadone"
    " not above 50 mg unless the practitioner documents sufficient medical rationale:"
    " https://regulations.justia.com/regulations/fedreg/2024/02/02/2024-01693.html"
)


@dataclass(frozen=True, slots=True)
class InitialDoseCap:
    """The most methadone a client in induction is given on their first dosing day, in mg."""

    cap: Decimal = FEDERAL_CAP
    version: str = "2024-04-02"
    source: str = FEDERAL_SOURCE
    medication: str = "methadone"

    def order(
        self,
        record: MedicationRecord,
        medication: str,
        field: str,
        dose: Decimal,
        acknowledgements: Mapping[str, str],
    ) -> Override | None:
        """An order's first-day ``dose`` (sent as ``field``) for a client in induction: above
        the cap, the prescriber's acknowledgement with a reason."""
        if medication != self.medication or dose <= self.cap or dosed_days(record, medication):
            return None
        reason = said(acknowledgements.get(INITIAL_DOSE, ""))
        if not reason:
            raise RuleViolation(
                "acknowledgements",
                INITIAL_DOSE,
                f"{field} {dose} mg is above the initial dose cap of {self.cap} mg of"
                f" {medication} for a client in induction (none given here yet) (version"
                f" {self.version}; source: {self.source}). To proceed, acknowledge rule"
                f" {INITIAL_DOSE!r} with the medical rationale",
            )
        return Override(INITIAL_DOSE, self.version, Severity.HIGH, reason)

    def dispensed(
        self,
        record: MedicationRecord,
        order: Order,
        field: str,
        amounts: Iterable[tuple[date, Decimal]],
    ) -> None:
        """Refuse ``amounts`` (day, amount) about to be given under ``order`` when they bring
        the client's first dosing day above the cap and the order carries no acknowledgement."""
        if order.medication != self.medication or INITIAL_DOSE in order.acknowledged:
            return
        adding: dict[date, Decimal] = {}
        for day, amount in amounts:
            adding[day] = adding.get(day, Decimal(0)) + amount
        if not adding:
            return
        first = min(dosed_days(record, order.medication) | set(adding))
        if first not in adding:
            return
        before = day_total(record, order.medication, first)
        if before + adding[first] > self.cap:
            raise RuleViolation(
                field,
                INITIAL_DOSE,
                f"{first} is the client's first dosing day of {order.medication}: {before} mg"
                f" given and {adding[first]} mg more is above the initial dose cap of"
                f" {self.cap} mg (version {self.version}; source: {self.source}); order"
                f" {order.order_id} carries no acknowledgement of rule {INITIAL_DOSE!r}, so"
                f" at most {max(self.cap - before, Decimal(0))} mg more",
            )


def dosed_days(record: MedicationRecord, medication: str) -> set[date]:
    """The days ``medication`` was given here, at the window or in a take-home bottle."""
    return {
        day
        for order in record.orders.values()
        if order.medication == medication
        for day in order.dispensed_days()
    }


def day_total(record: MedicationRecord, medication: str, day: date) -> Decimal:
    """What the client was given of ``medication`` for ``day``: at the window (a replaced dose
    by its replacement) and in take-home bottles for the day, under any of its orders."""
    total = Decimal(0)
    for order in record.orders.values():
        if order.medication != medication:
            continue
        total += order.given_amount(day)
        for dispense_id, handed in order.handed_over.items():
            total += sum(
                (b.amount for b in handed.bottles
                 if b.day == day and order.take_home.get((day, b.slot)) == dispense_id),
                Decimal(0),
            )  # fmt: skip
    return total
