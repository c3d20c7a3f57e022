"""Extended-release buprenorphine is started only on buprenorphine the client has taken.

The SUBLOCADE label (section 1) indicates it for patients who have initiated treatment with
a transmucosal buprenorphine product: seven days of 8-24 mg a day, or, since its February
2025 revision, a single 4 mg dose tolerated over an hour's observation; it is to be avoided
in the opioid-naive. A month's depot given to a client who never had buprenorphine cannot be
stopped when it precipitates withdrawal or sedates too deeply (only surgery removes it, in
its first two weeks).

So a first XR-buprenorphine order, for a client with no buprenorphine on record (none given
here, in a take-home bottle or as a guest elsewhere, no pharmacy-filled order of it, none
said taken elsewhere in a medication statement, and no transmucosal order in force by its
start, the usual plan for a same-day start), needs the prescriber's acknowledgement of rule
``buprenorphine-xr-initiation`` with a reason (a dose taken elsewhere, say), recorded as an
override. At the window its first injection is refused, naming ``orderId``, unless the
client had transmucosal buprenorphine at least ``observe`` before it (given here, bottled
for a day before, guest-dosed or pharmacy-filled from a day before), an earlier injection,
a statement of buprenorphine taken elsewhere, or the order carries the acknowledgement.
It is never a hard stop: what the prescriber documents decides, as for the induction caps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from carecoord.events.medication import Dispensing
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.doses import Override, acknowledged
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord

DayOf = Callable[[datetime], date]
XR_INITIATION = "buprenorphine-xr-initiation"
SUBLOCADE_INDICATION = (
    "SUBLOCADE prescribing information, section 1 (indication: after initiating treatment"
    " with transmucosal buprenorphine, seven days or, since February 2025, a single 4 mg dose"
    " with an hour's observation) and 2.2: https://www.drugs.com/pro/sublocade.html ;"
    " https://conexiant.com/psychiatry/articles/new-sublocade-label-allows-for-faster-"
    "treatment-initiation"
)


@dataclass(frozen=True, slots=True)
class XrInitiation:
    """Which extended-release products need buprenorphine first, and which products count."""

    extended: frozenset[str] = frozenset({"buprenorphine-xr"})
    transmucosal: frozenset[str] = frozenset({"buprenorphine", "buprenorphine-naloxone"})
    observe: timedelta = timedelta(hours=1)
    version: str = "label-2025-02"
    source: str = SUBLOCADE_INDICATION

    def order(
        self,
        record: MedicationRecord,
        medication: str,
        start: date,
        acknowledgements: Mapping[str, str],
        day_of: DayOf,
    ) -> Override | None:
        """An XR order starting on ``start`` for a client with no buprenorphine on record
        or planned by then: the prescriber's acknowledgement with a reason."""
        if medication not in self.extended or self._planned(record, start, day_of):
            return None
        return acknowledged(
            acknowledgements,
            XR_INITIATION,
            self.version,
            f"{medication} is started only after transmucosal buprenorphine, and the client"
            " has none on record (given, in force by the order's start, or said taken"
            f" elsewhere) (version {self.version}; source: {self.source}). Order"
            f" transmucosal buprenorphine first, or acknowledge rule {XR_INITIATION!r} with"
            " what the client takes",
        )

    def given(
        self, record: MedicationRecord, order: Order, given_at: datetime, day_of: DayOf
    ) -> None:
        """Refuse an injection under ``order`` at ``given_at`` for a client who had no
        buprenorphine by ``observe`` before it, unless the order carries the
        acknowledgement."""
        if order.medication not in self.extended or XR_INITIATION in order.acknowledged:
            return
        if self._taken(record, given_at - self.observe, day_of):
            return
        raise RuleViolation(
            "orderId",
            XR_INITIATION,
            f"order {order.order_id} of {order.medication} is a first injection for a client"
            f" given no buprenorphine at least {self._hours()} before it (version"
            f" {self.version}; source: {self.source}); give transmucosal buprenorphine first"
            f" and observe {self._hours()}, or the prescriber acknowledges rule"
            f" {XR_INITIATION!r} on the order",
        )

    def _hours(self) -> str:
        return f"{self.observe.total_seconds() / 3600:g} h"

    def _planned(self, record: MedicationRecord, start: date, day_of: DayOf) -> bool:
        """Buprenorphine on record, or a transmucosal order in force by ``start``, or an XR
        order the prescriber acknowledged this rule on."""
        if self._taken(record, None, day_of):
            return True
        return any(
            (o.medication in self.transmucosal and o.current and o.start <= start)
            or (o.medication in self.extended and XR_INITIATION in o.acknowledged)
            for o in record.orders.values()
        )

    def _taken(self, record: MedicationRecord, by: datetime | None, day_of: DayOf) -> bool:
        """The client had buprenorphine by ``by`` (ever, when None): a dose given here, a
        bottle for an earlier day, a guest or pharmacy-filled day before, an earlier
        injection, or a statement of it taken elsewhere."""
        products = self.transmucosal | self.extended
        if any(
            s.medication in products and s.active and s.in_error is None
            for s in record.statements.values()
        ):
            return True
        before = None if by is None else day_of(by)
        for order in record.orders.values():
            if order.medication not in products:
                continue
            if any(
                dose not in order.in_error and (by is None or charted.given_at <= by)
                for dose, charted in order.charted.items()
            ):
                return True
            days = [day for day, _ in order.take_home]
            days += [first for first, _ in record.dosed_elsewhere(order, day_of)]
            if (
                order.dispensing is Dispensing.PHARMACY
                and order.status is not Status.ENTERED_IN_ERROR
            ):
                days.append(order.start)
            if any(before is None or day < before for day in days):
                return True
        return False
