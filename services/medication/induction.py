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
is for; a guest-dosing arrangement counts as dosed elsewhere while a methadone order was in
force and not on hold, up to the day it was stopped), tolerance is taken as lost, and the
first dosing day after the gap is a first dosing day again (the Australian national
guideline, section 3.5: five or more days missed, a new induction; a full maintenance dose
after such a gap is a known cause of overdose deaths).
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

Sublingual buprenorphine and buprenorphine/naloxone have their own induction days, on the same
machinery (``BUPRENORPHINE_INDUCTION``, rule ``buprenorphine-initial-dose``): the SUBOXONE
sublingual film label gives up to 8 mg on day 1 and a single dose of up to 16 mg on day 2
(the usual induction; monotherapy is inducted alike), so above 8 mg on the client's first
day of either here, or above 16 mg on their second day dosed (the next day they are given it:
a day missed between leaves their tolerance no higher, so the day after it is day 2; an order
written ahead counts the days until it as dosed, and the window judges the day when it comes),
an order needs the prescriber's acknowledgement, and the window holds those days to the caps
unless the order carries one.
It is never a hard stop: a higher induction (in an emergency department, say) is the
prescriber's to document. The two products are one course (a client inducted on one and
switched to the other is not inducted again); the XR injection is not, as it is started only
after sublingual induction. The label sets no days after which a return is a new induction,
so only the client's first days here are held. A program may set other caps, with their
source and a version that goes into every override.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from carecoord.events.medication import Dispensing
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.doses import Override, acknowledged
from carecoord.services.medication.missed import GUIDELINE
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord

DayOf = Callable[[datetime], date]
"""The program's day a moment falls on (``MedicationRules.day_of``)."""
INITIAL_DOSE = "methadone-initial-dose"
BUPRENORPHINE_INITIAL_DOSE = "buprenorphine-initial-dose"
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
    next dosing day is a first dosing day again; never when None (only the client's first
    days here are induction)."""

    after_days: int | None = RESTART_AFTER
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
    """The most of a medication a client in induction is given on their first dosing day, in
    mg, and on the days after it that ``later`` caps."""

    cap: Decimal = FEDERAL_CAP
    version: str = "2024-04-02"
    source: str = FEDERAL_SOURCE
    medications: frozenset[str] = frozenset({"methadone"})
    """The formulary codes of one course: a dose of any counts for all."""
    restart: Restart = field(default_factory=Restart)
    rule: str = INITIAL_DOSE
    later: tuple[Decimal, ...] = ()
    """The caps of the days after the first, in order (buprenorphine's 16 mg on day 2)."""

    def _induction_day(
        self, record: MedicationRecord, day: date, today: date, day_of: DayOf
    ) -> tuple[int, Decimal, Gap] | None:
        """Which day of induction ``day`` is (0 the first), its cap, and the gap that began
        the course; None past the capped days."""
        gap = self.gap(record, day, day_of, counted_to=min(day, today))
        if gap is not None:
            return 0, self.cap, gap
        if not self.later:
            return None
        first = self.first_day(record, day, today, day_of)
        if first is None:
            return None
        n = self._dosing_day(record, first, day, today, day_of)
        if not 0 < n <= len(self.later):
            return None
        begun = self.gap(record, first, day_of, counted_to=min(first, today))
        return None if begun is None else (n, self.later[n - 1], begun)

    def _dosing_day(
        self, record: MedicationRecord, first: date, day: date, today: date, day_of: DayOf
    ) -> int:
        """How many dosing days of the course beginning on ``first`` came before ``day``:
        the label's day 2 is the client's second day dosed, so a day skipped between is not
        counted. Days after ``today`` and before ``day`` count as dosed, as an order written
        ahead cannot know they will be missed; the window judges the day when it comes."""
        dosed = {d for d in _dosed_days(record, self.medications, day_of, today) if d < day}
        ahead = (today + timedelta(days=n) for n in range(1, (day - today).days))
        return len({d for d in (*dosed, *ahead) if d >= first})

    def _capped(self, n: int, cap: Decimal) -> str:
        name = "the initial dose cap" if n == 0 else f"the day {n + 1} induction cap"
        return f"{name} of {cap} mg"

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
        day_of: DayOf,
    ) -> Override | None:
        """An order's first-day ``dose`` (sent as ``field``, the order starting on ``start``)
        for a client in induction: above the cap of that day of it, the prescriber's
        acknowledgement with a reason."""
        if medication not in self.medications or dose <= min((self.cap, *self.later)):
            return None
        found = self._induction_day(record, start, today, day_of)
        if found is None or dose <= found[1]:
            return None
        return self._asked(acknowledgements, medication, field, dose, *found)

    def steps(
        self,
        record: MedicationRecord,
        medication: str,
        steps: Sequence[tuple[date, Decimal]],
        acknowledgements: Mapping[str, str],
        *,
        today: date,
        day_of: DayOf,
    ) -> tuple[Override, int] | None:
        """A taper's later steps (``steps``: start and daily dose) that begin on a day of
        induction its first step's day leads into (buprenorphine's day 2, ``later``), each
        held to that day's cap as ``order`` holds the first; with the step that needed the
        acknowledgement. Its first day's acknowledgement, when that step needed one, covers
        them (the window reads any), so they are not asked again."""
        if medication not in self.medications or len(steps) < 2 or not self.later:
            return None
        (first, dose), *rest = steps
        found = self._induction_day(record, first, today, day_of)
        if found is None or dose > found[1]:
            return None
        begun, _, gap = found
        for n, (start, later) in enumerate(rest, start=1):
            day = begun + (start - first).days
            if day > len(self.later):
                break
            cap = self.later[day - 1]
            if later > cap:
                field = f"steps.{n}.dose"
                return self._asked(acknowledgements, medication, field, later, day, cap, gap), n
        return None

    def _asked(
        self,
        acknowledgements: Mapping[str, str],
        medication: str,
        field: str,
        dose: Decimal,
        n: int,
        cap: Decimal,
        gap: Gap,
    ) -> Override:
        """The override of ``dose`` above the cap of day ``n`` of induction, acknowledged;
        refused naming ``field`` without the acknowledgement."""
        return acknowledged(
            acknowledgements,
            self.rule,
            self._version(gap),
            f"{field} {dose} mg is above {self._capped(n, cap)} of {medication} for a client"
            f" in induction ({self._why(gap)}) (version {self.version}; source:"
            f" {self.source}). To proceed, acknowledge rule {self.rule!r} with the medical"
            " rationale",
            _details(gap),
        )

    def dispensed(
        self,
        record: MedicationRecord,
        order: Order,
        field: str,
        amounts: Iterable[tuple[date, Decimal]],
        day_of: DayOf,
        today: date,
    ) -> None:
        """Refuse ``amounts`` (day, amount) about to be given under ``order`` on ``today``
        when they bring a day of induction (the client's first, or the first after a gap; the
        days ``later`` caps) above its cap and the order carries no acknowledgement given
        since the gap began; a hand-over is judged on its earliest day. A gap counts the days
        up to ``today`` at most: a take-home bottle for a later day is not a restart for the
        days still to come, which the window may dose."""
        if order.medication not in self.medications:
            return
        adding: dict[date, Decimal] = {}
        for day, amount in amounts:
            adding[day] = adding.get(day, Decimal(0)) + amount
        if not adding:
            return
        first = min(adding)
        found = self._induction_day(record, first, today, day_of)
        if found is None or self._carries(order, found[2], day_of):
            return
        n, cap, gap = found
        before = day_total(record, self.medications, first)
        if before + adding[first] > cap:
            since = "" if gap.last is None else f" given after {gap.last}"
            which = "first dosing day" if n == 0 else f"day {n + 1} of induction"
            raise RuleViolation(
                field,
                self.rule,
                f"{first} is the client's {which} of {order.medication} ({self._why(gap)}):"
                f" {before} mg given and {adding[first]} mg more is above"
                f" {self._capped(n, cap)} (version {self.version}; source: {self.source});"
                f" order {order.order_id} carries no acknowledgement of rule {self.rule!r}"
                f"{since}, so at most {max(cap - before, Decimal(0))} mg more",
                _details(gap),
            )

    def gap(
        self, record: MedicationRecord, day: date, day_of: DayOf, counted_to: date | None = None
    ) -> Gap | None:
        """Why ``day`` is a first dosing day of the course, or None when it is not: none here
        before it, or ``restart.after_days`` or more days without it before it, counted up to
        ``counted_to`` (``day``)."""
        last = last_day(record, self.medications, day, day_of)
        if last is None:
            return Gap(None, 0)
        days = ((counted_to or day) - last).days - 1
        return Gap(last, days) if self._restarts(days) else None

    def _restarts(self, days: int) -> bool:
        after = self.restart.after_days
        return after is not None and days >= after

    def restarted(self, record: MedicationRecord, today: date, day_of: DayOf) -> Gap | None:
        """The gap before the client's latest first dosing day after one, up to ``today``
        (today itself when the gap runs to it), or None when there was none since their
        first."""
        spans = sorted(s for s in _spans(record, self.medications, day_of) if s[0] <= today)
        latest, reach = None, None
        for first, last in [*spans, (today, today)]:
            if reach is not None and self._restarts((first - reach).days - 1):
                latest = Gap(reach, (first - reach).days - 1)
            reach = last if reach is None else max(reach, last)
        return latest

    def first_day(
        self, record: MedicationRecord, day: date, today: date, day_of: DayOf
    ) -> date | None:
        """The first dosing day of the course that ``day`` falls in: the client's first
        here, or the first after a gap of ``restart.after_days`` or more (counted as ``gap``
        counts them); None when ``day`` would itself be one."""
        if self.gap(record, day, day_of, counted_to=min(day, today)) is not None:
            return None
        spans = sorted(s for s in _spans(record, self.medications, day_of) if s[0] < day)
        first, reach = spans[0]
        for begins, last in spans[1:]:
            if self._restarts((begins - reach).days - 1):
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
        if gap.last is None:
            return self.version
        return f"{self.version}+restart:{self.restart.version}"

    def _carries(self, order: Order, gap: Gap, day_of: DayOf) -> bool:
        """``order`` carries the acknowledgement for the day of induction after ``gap``: any
        for a client's first, one given after its last day with the medication for a
        restart."""
        acknowledged = order.acknowledged_at.get(self.rule)
        if acknowledged is None:
            return False
        return gap.last is None or day_of(acknowledged) > gap.last


def _details(gap: Gap) -> dict[str, object] | None:
    return None if gap.last is None else {"daysMissed": gap.days}


def last_day(
    record: MedicationRecord, medications: frozenset[str], before: date, day_of: DayOf
) -> date | None:
    """The last day before ``before`` the client had one of ``medications``: given here (a
    dose lasts to the order's next dosing day), in a take-home bottle, or guest dosing
    elsewhere while an order of it was in force."""
    eve = before - timedelta(days=1)
    spans = _spans(record, medications, day_of)
    days = [min(last, eve) for first, last in spans if first < before]
    return max(days, default=None)


def _spans(
    record: MedicationRecord, medications: frozenset[str], day_of: DayOf
) -> list[tuple[date, date]]:
    """The (first, last) days the client had one of ``medications``: a dose given here to the
    order's next dosing day, a take-home bottle its day, guest dosing elsewhere its days away
    while an order of it was in force and not on hold (``MedicationRecord.dosed_elsewhere``:
    none after the program day it was stopped, as the guest site doses by no stopped or held
    order), a pharmacy-filled order (buprenorphine's) from its start day, as no fill is
    charted here (to its end, if it has one: a restart is methadone's, which no pharmacy
    fills)."""
    orders = [o for o in record.orders.values() if o.medication in medications]
    spans = [
        (day, day + timedelta(days=order.schedule.every_days - 1))
        for order in orders
        for day in order.dispensed_days()
    ]
    spans += [
        span
        for order in orders
        for span in _unheld(order, record.dosed_elsewhere(order, day_of), day_of)
    ]
    spans += [
        (o.start, o.end or o.start)
        for o in orders
        if o.dispensing is Dispensing.PHARMACY and o.status is not Status.ENTERED_IN_ERROR
    ]
    return spans


def _dosed_days(
    record: MedicationRecord, medications: frozenset[str], day_of: DayOf, today: date
) -> set[date]:
    """The days the client had one of ``medications``: given here or in a take-home bottle
    for the day, dosed elsewhere as a guest (``_spans``), and each day of a pharmacy-filled
    order's period up to ``today`` and the day it was stopped (no fill is charted here, so
    its days are taken as taken)."""
    orders = [o for o in record.orders.values() if o.medication in medications]
    days = {day for order in orders for day in order.dispensed_days()}
    for order in orders:
        spans = _unheld(order, record.dosed_elsewhere(order, day_of), day_of)
        if order.dispensing is Dispensing.PHARMACY and order.status is not Status.ENTERED_IN_ERROR:
            stopped = None if order.stopped_at is None else day_of(order.stopped_at)
            last = min(d for d in (order.end, stopped, today) if d is not None)
            spans.append((order.start, last))
        days |= {
            first + timedelta(days=n)
            for first, last in spans
            for n in range((last - first).days + 1)
        }
    return days


def _unheld(order: Order, spans: list[tuple[date, date]], day_of: DayOf) -> list[tuple[date, date]]:
    """The days of ``spans`` (first, last) the order was not on hold (``Order.held_on``):
    a guest site is told a held order is not to be dosed, so a stay held from its third day
    to the return is days without methadone, not in hand."""
    one = timedelta(days=1)
    for start, end in order.held:
        held_from = day_of(start)
        held_to = None if end is None else day_of(end) - one  # its last day held
        if held_to is not None and held_to < held_from:
            continue  # lifted the day it was placed: no day held
        kept = []
        for first, last in spans:
            if first < held_from:
                kept.append((first, min(last, held_from - one)))
            if held_to is not None and last > held_to:
                kept.append((max(first, held_to + one), last))
        spans = kept
    return spans


def day_total(record: MedicationRecord, medications: frozenset[str], day: date) -> Decimal:
    """What the client was given of ``medications`` for ``day``: at the window (a replaced
    dose by its replacement) and in take-home bottles for the day, under any of their
    orders."""
    total = Decimal(0)
    for order in record.orders.values():
        if order.medication not in medications:
            continue
        total += order.given_amount(day)
        for dispense_id, handed in order.handed_over.items():
            total += sum(
                (b.amount for b in handed.bottles
                 if b.day == day and order.take_home.get((day, b.slot)) == dispense_id),
                Decimal(0),
            )  # fmt: skip
    return total


BUPRENORPHINE_SOURCE = (
    "SUBOXONE (buprenorphine and naloxone) sublingual film prescribing information, Induction:"
    " up to 8 mg/2 mg on Day 1, a single daily dose of up to 16 mg/4 mg on Day 2:"
    " https://www.drugs.com/dosage/suboxone-film.html"
)
BUPRENORPHINE_INDUCTION = InitialDoseCap(
    Decimal(8),
    "label-1",
    BUPRENORPHINE_SOURCE,
    frozenset({"buprenorphine", "buprenorphine-naloxone"}),
    restart=Restart(
        None, "none", "the label names no days after which a return is a new induction"
    ),
    rule=BUPRENORPHINE_INITIAL_DOSE,
    later=(Decimal(16),),
)
"""Sublingual buprenorphine's induction days (the XR injection is no part of them)."""
