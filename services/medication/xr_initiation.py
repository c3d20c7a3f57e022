"""Extended-release buprenorphine is started only on buprenorphine the client has taken.

The SUBLOCADE label (section 1) indicates it for patients who have initiated treatment with
a transmucosal buprenorphine product: seven days of 8-24 mg a day, or, since its February
2025 revision, a single 4 mg dose tolerated over an hour's observation; it is to be avoided
in the opioid-naive. A month's depot given to a client who never had buprenorphine cannot be
stopped when it precipitates withdrawal or sedates too deeply (only surgery removes it, in
its first two weeks).

So a first XR-buprenorphine order, for a client not established on buprenorphine by its
start (an earlier injection, a transmucosal dose of at least ``rapid_dose`` given here, or
``days`` days of ``daily_low``-``daily_high`` mg: given here or in take-home bottles, guest
dosed elsewhere or pharmacy-filled at the order's dose) and with no transmucosal order in
force by then (the usual plan for a same-day start), needs the prescriber's acknowledgement
of rule ``buprenorphine-xr-initiation`` with a reason (months on a dose elsewhere, say),
recorded as an override. At the window its first injection is refused, naming ``orderId``,
unless the client had an earlier injection, a transmucosal dose of at least ``rapid_dose``
given here at least ``observe`` before it, or those days before its day, or the order
carries the acknowledgement. Version 2: any buprenorphine before sufficed (a 2 mg dose, one
take-home bottle, a statement of it taken elsewhere, with no dose). A statement counts no
more: it records no dose, so the prescriber who knows it acknowledges the rule.
It is never a hard stop: what the prescriber documents decides, as for the induction caps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from carecoord.events.medication import Dispensing
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.doses import Override, acknowledged
from carecoord.services.medication.induction import day_total
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
    rapid_dose: Decimal = Decimal(4)
    rapid_within: timedelta = timedelta(hours=24)
    """How long before an injection the single dose of the rapid start counts: the label
    gives the injection after the hour's observation, not days later."""
    days: int = 7
    daily_low: Decimal = Decimal(8)
    daily_high: Decimal = Decimal(24)
    version: str = "label-2025-02+days:1"
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
            f" is not established on it by the order's start ({self._needed()}), nor has an"
            f" order of it in force by then (version {self.version}; source: {self.source})."
            " Order transmucosal buprenorphine first, or acknowledge rule"
            f" {XR_INITIATION!r} with what the client takes",
            {"daysOnBuprenorphine": self._count(record, start, day_of)},
        )

    def given(
        self, record: MedicationRecord, order: Order, given_at: datetime, day_of: DayOf
    ) -> None:
        """Refuse an injection under ``order`` at ``given_at`` for a client who had no
        buprenorphine by ``observe`` before it, unless the order carries the
        acknowledgement."""
        if order.medication not in self.extended or XR_INITIATION in order.acknowledged:
            return
        if self._established(record, given_at - self.observe, day_of(given_at), day_of):
            return
        raise RuleViolation(
            "orderId",
            XR_INITIATION,
            f"order {order.order_id} of {order.medication} is a first injection for a client"
            f" not established on transmucosal buprenorphine ({self._needed()}, at least"
            f" {self._hours()} before it) (version {self.version}; source: {self.source});"
            " give transmucosal buprenorphine first, or the prescriber acknowledges rule"
            f" {XR_INITIATION!r} on the order",
            {"daysOnBuprenorphine": self._count(record, day_of(given_at), day_of)},
        )

    def _hours(self) -> str:
        return f"{self.observe.total_seconds() / 3600:g} h"

    def _needed(self) -> str:
        return (
            f"{self.days} days of {self.daily_low}-{self.daily_high} mg a day, a single dose"
            f" of at least {self.rapid_dose} mg given here, or an earlier injection"
        )

    def _count(self, record: MedicationRecord, before: date, day_of: DayOf) -> int:
        """The days before ``before`` the client had ``daily_low``-``daily_high`` mg."""
        daily = self._daily(record, before, day_of)
        return sum(self.daily_low <= mg <= self.daily_high for mg in daily.values())

    def _planned(self, record: MedicationRecord, start: date, day_of: DayOf) -> bool:
        """Established on buprenorphine by ``start``, or a transmucosal order in force by
        then, or an XR order the prescriber acknowledged this rule on."""
        if self._established(record, None, start, day_of):
            return True
        return any(
            (o.medication in self.transmucosal and o.current_on(start) and o.start <= start)
            or (o.medication in self.extended and XR_INITIATION in o.acknowledged)
            for o in record.orders.values()
        )

    def _established(
        self, record: MedicationRecord, by: datetime | None, before: date, day_of: DayOf
    ) -> bool:
        """By ``by`` (ever, when None): an earlier injection, or a transmucosal dose of at
        least ``rapid_dose`` given here (within ``rapid_within`` of the injection); or
        ``days`` days before ``before`` of ``daily_low``-``daily_high`` mg."""
        for order in record.orders.values():
            if order.medication not in self.transmucosal | self.extended:
                continue
            for dose, charted in order.charted.items():
                if dose in order.in_error or (by is not None and charted.given_at > by):
                    continue
                long_ago = (
                    by is not None and by + self.observe - charted.given_at > self.rapid_within
                )
                if order.medication in self.extended:
                    return True
                if order.amounts[dose][1] >= self.rapid_dose and not long_ago:
                    return True
        return self._count(record, before, day_of) >= self.days

    def _daily(self, record: MedicationRecord, before: date, day_of: DayOf) -> dict[date, Decimal]:
        """The transmucosal buprenorphine the client had on each day before ``before``: given
        here or in take-home bottles, and the order's dose on days guest dosed elsewhere or
        pharmacy-filled."""
        daily: dict[date, Decimal] = {}
        for order in record.orders.values():
            if order.medication not in self.transmucosal:
                continue
            days = set(order.doses_on) | {day for day, _ in order.take_home}
            for day in days:
                if day < before:
                    daily[day] = day_total(record, self.transmucosal, day)
            for first, last in self._not_charted(record, order, before, day_of):
                day = first
                while day <= last:
                    daily[day] = daily.get(day, Decimal(0)) + order.dose_on(day)
                    day += timedelta(days=1)
        return daily

    @staticmethod
    def _not_charted(
        record: MedicationRecord, order: Order, before: date, day_of: DayOf
    ) -> list[tuple[date, date]]:
        """The (first, last) days before ``before`` the client took ``order`` with nothing
        charted here: guest dosing elsewhere, or the days of a pharmacy-filled order."""
        spans = list(record.dosed_elsewhere(order, day_of))
        if order.dispensing is Dispensing.PHARMACY and order.status is not Status.ENTERED_IN_ERROR:
            last = order.end
            if order.stopped_at is not None:
                stopped = day_of(order.stopped_at)
                last = stopped if last is None else min(last, stopped)
            spans.append((order.start, last or before))
        yesterday = before - timedelta(days=1)
        return [(first, min(last, yesterday)) for first, last in spans if first < before]
