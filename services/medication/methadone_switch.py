"""A client switching from methadone is started on buprenorphine only a day after methadone.

Buprenorphine, a partial agonist binding more tightly than methadone, displaces it from the
receptor: started while methadone still acts, it precipitates withdrawal, abrupt and severe,
which drives clients back to methadone or to illicit opioids. The buprenorphine labels and
SAMHSA TIP 63 (Part 3) ask for the first dose only once withdrawal has begun, at least 24
hours after the last methadone dose (often longer, after a taper to 30 mg or less).

So a client's first buprenorphine (none given here or taken home before) ordered to start
less than ``wait`` after the start of the client's last methadone day on record, or given at
the window less than ``wait`` after the last methadone dose, needs the prescriber's
acknowledgement of rule ``methadone-to-buprenorphine`` with a reason (a low-dose
"microinduction" that overlaps on purpose, say), recorded as an override on the order; the
window refuses the dose, naming ``orderId`` and the hours since, unless the order carries it.
A take-home bottle of methadone, or a day guest dosed on it elsewhere, counts as taken by the
end of its day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.program_day import program_day
from carecoord.services.medication.doses import Override, acknowledged
from carecoord.services.medication.orders import Order
from carecoord.services.medication.record import MedicationRecord

METHADONE_TO_BUPRENORPHINE = "methadone-to-buprenorphine"
SOURCE = (
    "SAMHSA TIP 63, Part 3 (transferring from methadone: first buprenorphine dose at least 24"
    " hours after the last methadone dose, once withdrawal has begun):"
    " https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002"
    " ; https://www.pdr.net/drug-summary/Suboxone-buprenorphine-naloxone-1292"
)


@dataclass(frozen=True, slots=True)
class MethadoneSwitch:
    """Which products are methadone and buprenorphine, and how long after methadone."""

    methadone: frozenset[str] = frozenset({"methadone"})
    buprenorphine: frozenset[str] = frozenset(
        {"buprenorphine", "buprenorphine-naloxone", "buprenorphine-xr"}
    )
    wait: timedelta = timedelta(hours=24)
    version: str = "1"
    source: str = SOURCE

    def order(
        self,
        record: MedicationRecord,
        medication: str,
        start: date,
        acknowledgements: Mapping[str, str],
        zone: ZoneInfo,
    ) -> Override | None:
        """A first buprenorphine order starting on ``start``, less than ``wait`` after the
        client's last methadone on record: the prescriber's acknowledgement with a reason."""
        begins = datetime.combine(start, time(), zone)
        since = self._since_methadone(record, medication, begins, None, zone)
        if since is None:
            return None
        return acknowledged(
            acknowledgements,
            METHADONE_TO_BUPRENORPHINE,
            self.version,
            f"{medication} is the client's first buprenorphine and starts on {start},"
            f" {self._hours(since)} h after the client's last methadone on record: it"
            f" precipitates withdrawal before {self._hours(self.wait)} h (version"
            f" {self.version}; source: {self.source}). Start it later, or acknowledge rule"
            f" {METHADONE_TO_BUPRENORPHINE!r} with the plan",
            {"hoursSinceMethadone": self._hours(since)},
        )

    def given(
        self,
        record: MedicationRecord,
        order: Order,
        given_at: datetime,
        zone: ZoneInfo,
    ) -> None:
        """Refuse a first buprenorphine dose under ``order`` at ``given_at`` less than
        ``wait`` after the last methadone dose, unless the order carries the
        acknowledgement."""
        if METHADONE_TO_BUPRENORPHINE in order.acknowledged:
            return
        medication = order.medication
        since = self._since_methadone(record, medication, given_at, given_at, zone)
        if since is None:
            return
        raise RuleViolation(
            "orderId",
            METHADONE_TO_BUPRENORPHINE,
            f"order {order.order_id} of {medication} is the client's first buprenorphine,"
            f" {self._hours(since)} h after the last methadone dose: it precipitates"
            f" withdrawal before {self._hours(self.wait)} h (version {self.version}; source:"
            f" {self.source}); give it later, or the prescriber acknowledges rule"
            f" {METHADONE_TO_BUPRENORPHINE!r} on the order",
            {"hoursSinceMethadone": self._hours(since)},
        )

    @staticmethod
    def _hours(span: timedelta) -> int:
        return max(int(span.total_seconds() // 3600), 0)

    def _since_methadone(
        self,
        record: MedicationRecord,
        medication: str,
        moment: datetime,
        by: datetime | None,
        zone: ZoneInfo,
    ) -> timedelta | None:
        """How long before ``moment`` the client last had methadone (on record by ``by``,
        all of it when None; methadone after ``moment`` is none before it, 0 hours), where
        ``medication`` is the client's first buprenorphine and that is less than ``wait``;
        else None."""
        if medication not in self.buprenorphine:
            return None
        if any(True for _ in self._taken(record, self.buprenorphine, by, zone)):
            return None
        last = max(self._taken(record, self.methadone, by, zone), default=None)
        if last is None or moment - last >= self.wait:
            return None
        return moment - last

    @staticmethod
    def _taken(
        record: MedicationRecord, products: frozenset[str], by: datetime | None, zone: ZoneInfo
    ) -> Iterator[datetime]:
        """When the client took ``products`` by ``by`` (ever, when None): each dose given here
        (not marked in error), and each day of a take-home bottle or of guest dosing
        elsewhere by the end of that day (``by`` at the latest)."""
        yield from (at for at in record.given_at(products) if by is None or at <= by)
        for order in record.orders.values():
            if order.medication not in products:
                continue
            days = [day for day, _ in order.take_home]
            for first, last in record.dosed_elsewhere(order, lambda m: program_day(m, zone)):
                days += [first + timedelta(days=n) for n in range((last - first).days + 1)]
            for day in days:
                ends = datetime.combine(day + timedelta(days=1), time(), zone)
                if by is None:
                    yield ends
                elif datetime.combine(day, time(), zone) <= by:
                    yield min(ends, by)
