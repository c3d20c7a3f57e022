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
or in a take-home bottle (one marked entered in error was not given), and again after a gap:
once ``restart.after_days`` (default 5) consecutive days have passed with no methadone given
here or in hand (a dose lasts to the order's next dosing day, a take-home bottle the day it
is for; a guest-dosing arrangement under a methadone order counts as dosed elsewhere),
tolerance is taken as lost, and the first dosing day after the gap is a first dosing day
again (the Australian national guideline, section 3.5: five or more days missed, a new
induction; a full maintenance dose after such a gap is a known cause of overdose deaths).
A prescription, dose change or taper written while that is so is judged on the dose of its
first day (a taper's first step): the order the client will be started on. For a restart,
the days until the order's first day count only as far as today: an order written before
the gap reaches the threshold is not asked for the acknowledgement, the window is (and a
take-home bottle handed over for a later day counts the gap to the hand-over day likewise).

Three or four days missed are left to the missed-dose hold (``missed.py``): after
``consecutive-missed-doses`` (3 dosing days by default) the order is held until a prescriber
assesses the client, and the reduced dose the guideline suggests (half, or 40 mg or half
whichever is lower on the fourth day) is theirs to write as a dose change when they resume
it; the platform does not compute it. Take-homes are not suspended for those days, and the
first day's take-home part counts toward the cap. After a restart they are
(``eligibility.py``, ``take-home-restart``): the eligibility determined while the client was
dosing does not stand for a client whose tolerance is lost.

The window holds the first dosing day to the cap too, whatever the order: a dose or take-home
that would bring that day's methadone above it is refused unless the order it is given under
carries the acknowledgement; after a gap, one given after its last day with methadone (a new
order or dose change written for the restart, or the held order resumed with it; the order's
first acknowledgement, from the client's first induction, does not carry over). The refusal
names the field, the rule and, after a gap, ``daysMissed``. An order written without one
(before this rule, or while the client had a dose since marked entered in error) is given up to
the cap on that day; a dose change from that day with the acknowledgement lifts it. A dose
charted late for an earlier day makes that day the first. A replacement of a spilled dose is
not checked: it stands in for a dose given, at most its amount, so the day's total does not
grow.

A program may set a lower cap, with its source, in its program file (a state's rule); never
a higher one, which would let a higher initial dose through without the documented rationale
the federal rule asks for. The cap's version goes into every override it causes, with the
restart threshold's after a gap (``2024-04-02+restart:1``). A program may likewise set fewer
days to a restart (2 at the least), never more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.doses import Override, acknowledged
from carecoord.services.medication.missed import GUIDELINE
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord

INITIAL_DOSE = "methadone-initial-dose"
FEDERAL_CAP = Decimal(50)
FEDERAL_SOURCE = (
    "42 CFR 8.12(h), 89 FR 7528 (2 Feb 2024, effective 2 Apr 2024): initial dose of methadone"
    " not above 50 mg unless the practitioner documents sufficient medical rationale:"
    " https://regulations.justia.com/regulations/fedreg/2024/02/02/2024-01693.html"
)


RESTART_AFTER = 5
RESTART_SOURCE = (
    "Australian national methadone guideline, section 3.5: five or more consecutive days"
    f" missed, treat as a new induction: {GUIDELINE}"
)


@dataclass(frozen=True, slots=True)
class Restart:
    """After ``after_days`` consecutive days with no methadone given or in hand, the client's
    next dosing day is a first dosing day again."""

    after_days: int = RESTART_AFTER
    version: str = "1"
    source: str = RESTART_SOURCE


@dataclass(frozen=True, slots=True)
class Gap:
    """Why a day is a first dosing day: ``last`` is the day before it the client last had
    methadone (None: never here), ``days`` how many days without it came between."""

    last: date | None
    days: int

    @property
    def back(self) -> date | None:
        """The first dosing day after the gap (None for a client's first)."""
        return None if self.last is None else self.last + timedelta(days=self.days + 1)


@dataclass(frozen=True, slots=True)
class InitialDoseCap:
    """The most methadone a client in induction is given on their first dosing day, in mg."""

    cap: Decimal = FEDERAL_CAP
    version: str = "2024-04-02"
    source: str = FEDERAL_SOURCE
    medication: str = "methadone"
    restart: Restart = field(default_factory=Restart)

    def order(
        self,
        record: MedicationRecord,
        medication: str,
        field: str,
        dose: Decimal,
        acknowledgements: Mapping[str, str],
        *,
        start: date,
        today: date,
    ) -> Override | None:
        """An order's first-day ``dose`` (sent as ``field``, the order starting on ``start``)
        for a client in induction: above the cap, the prescriber's acknowledgement with a
        reason."""
        if medication != self.medication or dose <= self.cap:
            return None
        gap = self.gap(record, medication, start, counted_to=min(start, today))
        if gap is None:
            return None
        return acknowledged(
            acknowledgements,
            INITIAL_DOSE,
            self._version(gap),
            f"{field} {dose} mg is above the initial dose cap of {self.cap} mg of"
            f" {medication} for a client in induction ({self._why(gap)}) (version"
            f" {self.version}; source: {self.source}). To proceed, acknowledge rule"
            f" {INITIAL_DOSE!r} with the medical rationale",
            _details(gap),
        )

    def dispensed(
        self,
        record: MedicationRecord,
        order: Order,
        field: str,
        amounts: Iterable[tuple[date, Decimal]],
        day_of: Callable[[datetime], date],
        today: date,
    ) -> None:
        """Refuse ``amounts`` (day, amount) about to be given under ``order`` on ``today``
        when they bring a first dosing day (the client's first, or the first after a gap)
        above the cap and the order carries no acknowledgement given since the gap began. A
        gap counts the days up to ``today`` at most: a take-home bottle for a later day is
        not a restart for the days still to come, which the window may dose."""
        if order.medication != self.medication:
            return
        adding: dict[date, Decimal] = {}
        for day, amount in amounts:
            adding[day] = adding.get(day, Decimal(0)) + amount
        if not adding:
            return
        first = min(adding)
        gap = self.gap(record, order.medication, first, counted_to=min(first, today))
        if gap is None or _carries(order, gap, day_of):
            return
        before = day_total(record, order.medication, first)
        if before + adding[first] > self.cap:
            since = "" if gap.last is None else f" given after {gap.last}"
            raise RuleViolation(
                field,
                INITIAL_DOSE,
                f"{first} is the client's first dosing day of {order.medication}"
                f" ({self._why(gap)}): {before} mg given and {adding[first]} mg more is above"
                f" the initial dose cap of {self.cap} mg (version {self.version}; source:"
                f" {self.source}); order {order.order_id} carries no acknowledgement of rule"
                f" {INITIAL_DOSE!r}{since}, so at most {max(self.cap - before, Decimal(0))} mg"
                " more",
                _details(gap),
            )

    def gap(
        self, record: MedicationRecord, medication: str, day: date, counted_to: date | None = None
    ) -> Gap | None:
        """Why ``day`` is a first dosing day of ``medication``, or None when it is not: none
        here before it, or ``restart.after_days`` or more days without it before it, counted
        up to ``counted_to`` (``day``)."""
        last = last_day(record, medication, day)
        if last is None:
            return Gap(None, 0)
        days = ((counted_to or day) - last).days - 1
        return Gap(last, days) if days >= self.restart.after_days else None

    def restarted(self, record: MedicationRecord, medication: str, today: date) -> Gap | None:
        """The gap before the client's latest first dosing day after one, up to ``today``
        (today itself when the gap runs to it), or None when there was none since their
        first."""
        spans = sorted(s for s in _spans(record, medication) if s[0] <= today)
        latest, reach = None, None
        for first, last in [*spans, (today, today)]:
            if reach is not None and (first - reach).days - 1 >= self.restart.after_days:
                latest = Gap(reach, (first - reach).days - 1)
            reach = last if reach is None else max(reach, last)
        return latest

    def first_day(
        self, record: MedicationRecord, medication: str, day: date, today: date
    ) -> date | None:
        """The first dosing day of the course of ``medication`` that ``day`` falls in: the
        client's first here, or the first after a gap of ``restart.after_days`` or more
        (counted as ``gap`` counts them); None when ``day`` would itself be one."""
        if self.gap(record, medication, day, counted_to=min(day, today)) is not None:
            return None
        spans = sorted(s for s in _spans(record, medication) if s[0] < day)
        first, reach = spans[0]
        for begins, last in spans[1:]:
            if (begins - reach).days - 1 >= self.restart.after_days:
                first = begins
            reach = max(reach, last)
        return first

    def _why(self, gap: Gap) -> str:
        if gap.last is None:
            return "none given here yet"
        return (
            f"again after {gap.days} days without it: {self.restart.after_days} or more are a"
            f" new induction, restart version {self.restart.version}; source:"
            f" {self.restart.source}"
        )

    def _version(self, gap: Gap) -> str:
        return (
            self.version if gap.last is None else f"{self.version}+restart:{self.restart.version}"
        )


def _details(gap: Gap) -> dict[str, object] | None:
    return None if gap.last is None else {"daysMissed": gap.days}


def _carries(order: Order, gap: Gap, day_of: Callable[[datetime], date]) -> bool:
    """``order`` carries the initial-dose acknowledgement for the first dosing day after
    ``gap``: any for a client's first, one given after its last day with methadone for a
    restart."""
    acknowledged = order.acknowledged_at.get(INITIAL_DOSE)
    if acknowledged is None:
        return False
    return gap.last is None or day_of(acknowledged) > gap.last


def last_day(record: MedicationRecord, medication: str, before: date) -> date | None:
    """The last day before ``before`` the client had ``medication``: given here (a dose lasts
    to the order's next dosing day), in a take-home bottle, or guest dosing elsewhere while
    an order of it was in force."""
    eve = before - timedelta(days=1)
    days = [min(last, eve) for first, last in _spans(record, medication) if first < before]
    return max(days, default=None)


def _spans(record: MedicationRecord, medication: str) -> list[tuple[date, date]]:
    """The (first, last) days the client had ``medication``: a dose given here to the order's
    next dosing day, a take-home bottle its day, guest dosing elsewhere while an order of it
    was in force its days away."""
    orders = [o for o in record.orders.values() if o.medication == medication]
    spans = [
        (day, day + timedelta(days=order.schedule.every_days - 1))
        for order in orders
        for day in order.dispensed_days()
    ]
    spans += [
        (away.start, away.end)
        for away in record.guest_dosing.values()
        if any(_in_force(o, away.start, away.end) for o in orders)
    ]
    return spans


def _in_force(order: Order, first: date, last: date) -> bool:
    return (
        order.status is not Status.ENTERED_IN_ERROR
        and order.start <= last
        and (order.end is None or first <= order.end)
    )


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
