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

Methadone taken elsewhere (a client coming from another OTP) is on record as a medication
statement (``statements.py``), which gives no dose time: its ``since`` is the first day it
was taken, and ending it gives ``stoppedAt``, when the client stopped, that is, when they
last took it. So an ended statement of methadone counts as taken at its ``stoppedAt``, and
one still in force (no stop) as taken up to now: the client is on methadone for all the
record says, so a first buprenorphine dose is refused until the statement is ended with the
last dose's time (or the order carries the acknowledgement), and an order starting less than
``wait`` from now needs the acknowledgement. A statement whose ``since`` is after a moment
counts nothing before it; one marked in error counts nowhere. A statement of buprenorphine
taken elsewhere does not make the buprenorphine here not the first: it records no dose, and
the prescriber who knows it acknowledges the rule (as for ``buprenorphine-xr-initiation``).
Version 2 reads statements; version 1 counted only methadone given, taken home or guest dosed
by this program, so a client whose statement said "methadone, stopped this morning" was given
buprenorphine with nothing asked. The hours are real ones: across the night the clocks go
forward, the end of a day of methadone in hand and the start of an order two days on are 23
hours apart, not 24.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
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
    version: str = "2"
    source: str = SOURCE

    def order(
        self,
        record: MedicationRecord,
        medication: str,
        start: date,
        acknowledgements: Mapping[str, str],
        zone: ZoneInfo,
        now: datetime,
    ) -> Override | None:
        """A first buprenorphine order starting on ``start``, less than ``wait`` after the
        client's last methadone on record (a statement in force: ``now``): the prescriber's
        acknowledgement with a reason."""
        begins = datetime.combine(start, time(), zone)
        since = self._since_methadone(record, medication, begins, None, zone, now)
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
        now: datetime,
    ) -> None:
        """Refuse a first buprenorphine dose under ``order`` at ``given_at`` less than
        ``wait`` after the last methadone on record (a statement in force: ``now``),
        unless the order carries the acknowledgement."""
        if METHADONE_TO_BUPRENORPHINE in order.acknowledged:
            return
        medication = order.medication
        since = self._since_methadone(record, medication, given_at, given_at, zone, now)
        if since is None:
            return
        raise RuleViolation(
            "orderId",
            METHADONE_TO_BUPRENORPHINE,
            f"order {order.order_id} of {medication} is the client's first buprenorphine,"
            f" {self._hours(since)} h after the client's last methadone on record: it"
            f" precipitates withdrawal before {self._hours(self.wait)} h (version"
            f" {self.version}; source: {self.source}); give it later (a statement of methadone"
            " taken elsewhere counts as taken up to now until it is ended with when the"
            " client stopped), or the prescriber acknowledges rule"
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
        now: datetime,
    ) -> timedelta | None:
        """How long before ``moment`` the client last had methadone (on record by ``by``,
        all of it when None; methadone after ``moment`` is none before it, 0 hours), where
        ``medication`` is the client's first buprenorphine and that is less than ``wait``;
        else None."""
        if medication not in self.buprenorphine:
            return None
        if any(True for _ in self._taken(record, self.buprenorphine, by, zone)):
            return None
        here = self._taken(record, self.methadone, by, zone)
        elsewhere = self._reported(record, by, zone, now)
        last = max((*here, *elsewhere), default=None)
        if last is None:
            return None
        # In UTC: two times in the program's zone subtract as wall-clock times, so the
        # 23 hours of a day the clocks go forward counted as 24.
        since = moment.astimezone(UTC) - last.astimezone(UTC)
        return since if since < self.wait else None

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

    def _reported(
        self, record: MedicationRecord, by: datetime | None, zone: ZoneInfo, now: datetime
    ) -> Iterator[datetime]:
        """When the client last took methadone by ``by`` (ever, when None) as its statements
        say: when one ended says they stopped, ``now`` for one in force; none of a statement
        taken from a day after ``by`` or marked in error."""
        for statement in record.statements.values():
            if statement.medication not in self.methadone or statement.in_error is not None:
                continue
            last = statement.stopped_at if statement.stopped_at is not None else now
            if by is None:
                yield last
            elif statement.since is None or datetime.combine(statement.since, time(), zone) <= by:
                yield min(last, by)
