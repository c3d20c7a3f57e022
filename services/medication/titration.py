"""How fast methadone is raised in the first weeks of a course: the titration limit.

Methadone accumulates over days (a long half-life that varies from client to client; steady
state takes about five days), so early increases act on a dose not yet in full effect, and
rapid ones are a leading cause of deaths in the first two weeks of treatment. SAMHSA TIP 63
(Medications for Opioid Use Disorder, Part 3): after the initial dose, raise it by 5 to 10 mg
no more often than every 3 to 5 days, and be conservative in the first weeks.

Within ``window_days`` (14) of a course's first dosing day (the client's first methadone dose
here, or the first after a gap that makes a restart, as ``induction.py`` counts one), a dose
change, or a taper's step, that raises the daily dose (the per-day total, split doses
together) by more than ``max_step`` (10 mg) over the dose in force (a new order written after
a stop: over the course's last dose), or starts less than ``min_interval_days`` (3) after the
last increase, needs the prescriber's acknowledgement of rule ``methadone-titration`` with a
reason, recorded as an override as the initial dose's is. The first dosing day counts as the
first increase: a first dose on day 1 is raised on day 4 at the soonest. Without the
acknowledgement the order is refused naming ``dose`` or ``start`` (a taper's ``steps.N.dose``
or ``steps.N.start``), the limit, the last increase and the day the next is allowed.
Decreases are never limited. A change or a taper's first step written before the course's
first dose is that first dose, which the initial-dose cap judges; a taper's later steps are
judged from it.

A program may be stricter in its program file (smaller steps, more days between them, a
longer window), never looser; the table's version goes into every override it causes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from carecoord.events import amounts
from carecoord.events.bounds import said
from carecoord.events.medication import Severity
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.doses import Override
from carecoord.services.medication.induction import InitialDoseCap
from carecoord.services.medication.orders import Status
from carecoord.services.medication.record import MedicationRecord

TITRATION = "methadone-titration"
WINDOW_DAYS = 14
MAX_STEP = Decimal(10)
MIN_INTERVAL_DAYS = 3
TIP_63 = (
    "SAMHSA TIP 63, Medications for Opioid Use Disorder (2021), Part 3: after the initial"
    " dose, increase by 5 to 10 mg no more often than every 3 to 5 days (steady state takes"
    " about 5 days); be conservative in the first weeks:"
    " https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002"
)


@dataclass(frozen=True, slots=True)
class Raise:
    """A daily dose an order puts in force from ``start``; ``field`` names its request field
    prefix (``""`` for a dose change, ``"steps.N."`` for a taper's step)."""

    field: str
    start: date
    dose: Decimal


@dataclass(frozen=True, slots=True)
class TitrationLimit:
    """The most, and the soonest, a course's methadone dose is raised in its first days."""

    window_days: int = WINDOW_DAYS
    max_step: Decimal = MAX_STEP
    min_interval_days: int = MIN_INTERVAL_DAYS
    version: str = "1"
    source: str = TIP_63
    medication: str = "methadone"

    def order(
        self,
        record: MedicationRecord,
        initial: InitialDoseCap,
        medication: str,
        raises: Sequence[Raise],
        in_force: Decimal | None,
        acknowledgements: Mapping[str, str],
        *,
        today: date,
        day_of: Callable[[datetime], date],
    ) -> tuple[Override, int] | None:
        """The override, and which of ``raises`` needed it, when one goes past the limit over
        the dose before it (before the first: ``in_force``, or the dose the day before when
        lower, as it is for a change of a raise written ahead to start that same day, which
        never was in force; None for a new order, judged on the course's last dose); refused
        unacknowledged."""
        if medication != self.medication:
            return None
        first = initial.first_day(record, raises[0].start, today, day_of)
        if first is None:  # the course's first dose: the initial-dose cap's
            first, last, dose, judged = raises[0].start, raises[0].start, raises[0].dose, 1
        else:
            last, latest = self._course(record, first, raises[0].start, day_of)
            dose, judged = latest if in_force is None else min(in_force, latest), 0
        end = first + timedelta(days=self.window_days)
        for n, step in enumerate(raises[judged:], start=judged):
            if step.dose > dose and step.start < end:
                too_much = step.dose - dose > self.max_step
                too_soon = (step.start - last).days < self.min_interval_days
                if too_much or too_soon:
                    field = f"{step.field}{'dose' if too_much else 'start'}"
                    reason = said(acknowledgements.get(TITRATION, ""))
                    if not reason:
                        raise RuleViolation(
                            field, TITRATION, self._refusal(field, step, dose, first, last),
                            {"lastIncrease": str(last), "nextAllowed": str(self._next(last))},
                        )  # fmt: skip
                    return Override(TITRATION, self.version, Severity.HIGH, reason), n
            if step.dose > dose:
                last = step.start
            dose = step.dose
        return None

    def _next(self, last: date) -> date:
        return last + timedelta(days=self.min_interval_days)

    def _refusal(self, field: str, step: Raise, dose: Decimal, first: date, last: date) -> str:
        day = (step.start - first).days + 1
        was = " (the first dose)" if last == first else ""
        return (
            f"{field}: {step.dose} mg of {self.medication} from {step.start} raises the dose in"
            f" force ({amounts.shown(dose)} mg) by {amounts.shown(step.dose - dose)} mg on day"
            f" {day} of the client's course"
            f" here (first dose {first}): in its first {self.window_days} days an increase is"
            f" at most {self.max_step} mg, {self.min_interval_days} days or more after the"
            f" last; the last increase was on {last}{was}, the next is allowed from"
            f" {self._next(last)} (version {self.version}; source: {self.source}). To proceed,"
            f" acknowledge rule {TITRATION!r} with a reason"
        )

    def _course(
        self,
        record: MedicationRecord,
        first: date,
        before: date,
        day_of: Callable[[datetime], date],
    ) -> tuple[date, Decimal]:
        """The last day from ``first`` (itself the first increase) and before ``before`` the
        daily dose went up (an order written ahead too), and the last dose in force: days with
        none (a stop, then a new order) neither lower it nor count as an increase after."""
        last, day = first, first + timedelta(days=1)
        previous = self._in_force(record, first, day_of)
        while day < min(before, first + timedelta(days=self.window_days)):
            dose = self._in_force(record, day, day_of)
            if dose > previous:
                last = day
            previous, day = dose or previous, day + timedelta(days=1)
        return last, previous

    def _in_force(
        self, record: MedicationRecord, day: date, day_of: Callable[[datetime], date]
    ) -> Decimal:
        """The daily dose of the order in force on ``day`` (0: none)."""
        for order in record.orders.values():
            stopped = order.stopped_at is not None and day_of(order.stopped_at) < day
            if (
                order.medication == self.medication
                and order.status is not Status.ENTERED_IN_ERROR
                and not stopped
                and order.in_period(day)
            ):
                return order.dose_on(day)
        return Decimal(0)
