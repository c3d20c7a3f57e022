"""One order's state as the medication record folds it: schedule, status, what was given.

The schedule arithmetic (is a dose due on a day, how much, which slots) lives here so
that dispensing, take-homes and missed-dose detection all read it the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from carecoord.events.medication import Dispensing, Schedule, TakeHomeBottle, TaperStep
from carecoord.services.kernel.marked import Marked


class Status(StrEnum):
    """FHIR MedicationRequest status, as far as the record needs it."""

    ACTIVE = "active"
    ON_HOLD = "on-hold"
    STOPPED = "stopped"
    ENTERED_IN_ERROR = "entered-in-error"


@dataclass(frozen=True, slots=True)
class Hold:
    since: datetime
    by: str
    reason: str
    rule_id: str
    rule_version: str = ""

    def note(self, zone: tzinfo) -> str:
        """``since <the program's date and time>, placed by <user>[ under rule <id>]``, as a
        refusal quotes it: the clock the clinic reads, not UTC's. The reason is free text a
        refusal never quotes (``kernel/marked.py``): it names where the reason is read."""
        since = self.since.astimezone(zone)
        rule = f" under rule {self.rule_id}" if self.rule_id else ""
        return (
            f"since {since:%Y-%m-%d %H:%M}, placed by {self.by}{rule} (its reason is the"
            f" order's hold.reason: read clientMedications)"
        )


@dataclass(frozen=True, slots=True)
class Charted:
    """What a dose at the window was charted with beyond its day and amount: what its
    correction repeats for the DEA log and the stock ledger."""

    slot: int
    dosage_form: str
    strength: str
    dea_schedule: str
    site: str
    lot: str
    bottle: str
    replaces: UUID | None
    given_at: datetime
    """When it was given: a replacement comes after the dose it replaces, and a stop after
    the doses given under the order."""


@dataclass(frozen=True, slots=True)
class HandedOver:
    """A take-home hand-over as charted: what its correction repeats for the DEA log and the
    stock ledger, and the (day, slot) its bottles cover."""

    dosage_form: str
    strength: str
    dea_schedule: str
    site: str
    bottles: tuple[TakeHomeBottle, ...]
    days_covered: int
    day: date


@dataclass(slots=True)
class Order:
    order_id: UUID
    medication: str
    dose: Decimal
    unit: str
    route: str
    schedule: Schedule
    start: date
    end: date | None
    dispensing: Dispensing
    written_at: datetime
    """When it was written (its event's clinical time, dated back when charted late): on its
    start day nothing is given under it before then (``Order.begins``)."""
    recorded_at: datetime
    """When it was entered into the record: its days before that program day were charted, if
    at all, on paper, and the missed-dose sweep gives the nurses time to chart them
    (``missed.py``)."""
    written_by: str = ""
    """The user id of the prescriber who wrote it: whom to ask to end it."""
    steps: tuple[TaperStep, ...] = ()
    blind: bool = False
    """A blind taper: its doses are hidden from the client."""
    prior_order_id: UUID | None = None
    status: Status = Status.ACTIVE
    hold: Hold | None = None
    replaced_by: UUID | None = None
    end_unreplaced: date | None = None
    """Its own end before the order replacing it cut it short: what it ends on again if that
    order is marked entered in error (``OrderReinstated``)."""
    gaps: list[tuple[date, date]] = field(default_factory=list)
    """Days (first, last) a replacement marked in error covered before this order was back
    in force: not its days, to dose or to miss."""
    stopped: Marked | None = None
    """When (the event's clinical time), by whom and why it was discontinued or marked in
    error."""
    held: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    """Hold periods, placed and lifted; lifted is None while the hold lasts."""
    given: dict[tuple[date, int], UUID] = field(default_factory=dict)
    """Observed doses by (day, slot); a replacement does not take a new slot."""
    amounts: dict[UUID, tuple[date, Decimal]] = field(default_factory=dict)
    replaced: dict[UUID, UUID] = field(default_factory=dict)
    doses_on: dict[date, list[UUID]] = field(default_factory=dict)
    """Dose ids by day: a years-long order is checked without walking every dose."""
    take_home: dict[tuple[date, int], UUID] = field(default_factory=dict)
    """Take-home bottles by the (day, slot) they cover: the dispense id."""
    handed_over: dict[UUID, HandedOver] = field(default_factory=dict)
    """Every take-home hand-over by dispense id, as charted (one marked in error too)."""
    take_home_in_error: dict[UUID, Marked] = field(default_factory=dict)
    """Take-homes marked entered in error: when, by whom and why. Their bottles are in no
    (day, slot) of ``take_home``, so those days are free and read as not dosed."""
    returned: set[tuple[UUID, date, int]] = field(default_factory=set)
    """Take-home bottles brought back, by (dispense id, day, slot) (``TakeHomeReturned``):
    no longer out. One returned full is in no (day, slot) of ``take_home`` either."""
    missed: set[date] = field(default_factory=set)
    """Days the missed-dose rule recorded as missed (``DoseMissed``)."""
    not_given: set[date] = field(default_factory=set)
    """Days a dose not given was recorded for, in any slot (``DoseNotGiven``), and not marked
    entered in error since: accounted for, so the missed-dose rule does not record them missed
    (``missed.py``)."""
    charted: dict[UUID, Charted] = field(default_factory=dict)
    """Every dose given at the window by id, as charted (one marked in error too)."""
    in_error: dict[UUID, Marked] = field(default_factory=dict)
    """Doses marked entered in error: when, by whom and why. They are in no slot, day or
    replacement above, so the slot is free and the day reads as not given."""
    acknowledged: set[str] = field(default_factory=set)
    """Rule ids the prescriber acknowledged writing it (``OverrideAcknowledged``): the window
    reads the initial-dose override off the order (``induction.py``)."""
    acknowledged_at: dict[str, datetime] = field(default_factory=dict)
    """When each of them was last acknowledged (the event's clinical time): an initial-dose
    override counts for a restart only if given after the gap began (``induction.py``)."""

    @property
    def stopped_at(self) -> datetime | None:
        return None if self.stopped is None else self.stopped.at

    def stopped_note(self, zone: tzinfo) -> str:
        """How it was stopped, on the program's day in ``zone``; empty while it is not."""
        reason_in = "the order's stoppedReason: read clientMedications"
        return "" if self.stopped is None else self.stopped.note(zone, reason_in)

    @property
    def current(self) -> bool:
        """Not stopped, in error or replaced by a new order (it may still be past its end)."""
        return self.status in (Status.ACTIVE, Status.ON_HOLD) and self.replaced_by is None

    def entered_late(self, day_of: Callable[[datetime], date]) -> date | None:
        """The program day it was entered, if that is after its start day (a paper or
        telephone order entered after the days it covers): its days before then were charted
        on paper, if at all."""
        entered = day_of(self.recorded_at)
        return entered if entered > self.start else None

    def ended(self, day: date) -> bool:
        """Past its end date on ``day``: an order ends when it says it ends."""
        return self.end is not None and day > self.end

    def current_on(self, day: date) -> bool:
        """In force on ``day``: current, and not past its end date."""
        return self.current and not self.ended(day)

    def status_on(self, day: date) -> str:
        """As the views say it: active, on-hold, ended, replaced, stopped, entered-in-error."""
        if self.replaced_by is not None and self.status in (Status.ACTIVE, Status.ON_HOLD):
            return "replaced"
        if self.current and self.ended(day):
            return "ended"
        return self.status.value

    def dispensed_days(self) -> set[date]:
        """Days a dose was given at the window or handed over to take home."""
        return set(self.doses_on) | {day for day, _ in self.take_home}

    def in_force_at(self, moment: datetime, day_of: Callable[[datetime], date]) -> bool:
        """Prescribed at ``moment`` (a clinical time, on the program's day ``day_of`` gives
        it, as the order's start and end are): in its period and not yet stopped. An order
        entered in error never was; a held one still is (the dose is held, not the
        prescription)."""
        if self.status is Status.ENTERED_IN_ERROR:
            return False
        if self.stopped_at is not None and moment >= self.stopped_at:
            return False
        return self.in_period(day_of(moment))

    def begins(self, day_of: Callable[[datetime], date]) -> datetime | None:
        """The moment before which nothing is given under it on its start day: when it was
        written, if that was on its start day. An order dated back (a start before the day it
        was written, a paper order entered late) is in force from its start day."""
        return self.written_at if day_of(self.written_at) == self.start else None

    def in_period(self, day: date) -> bool:
        return (
            self.start <= day
            and (self.end is None or day <= self.end)
            and not any(first <= day <= last for first, last in self.gaps)
        )

    def due_on(self, day: date) -> bool:
        """A dosing day: inside the order's period, on its interval (every N days)."""
        return self.in_period(day) and (day - self.start).days % self.schedule.every_days == 0

    def held_on(self, day: date, day_of: Callable[[datetime], date]) -> bool:
        """On hold during the program's ``day``: placed by then, lifted on a later day."""
        return any(
            day_of(start) <= day and (end is None or day < day_of(end)) for start, end in self.held
        )

    def dose_on(self, day: date) -> Decimal:
        """The daily dose on ``day``: the last taper step begun by then, else the order's dose."""
        dose = self.dose
        for step in self.steps:
            if step.start <= day:
                dose = step.dose
        return dose

    def lasts(self, day: date) -> set[date]:
        """The days a dose for ``day`` lasts, to the next dosing day: a take-home supply is
        counted in days (42 CFR 8.12(i)(3)), and one bottle of an every-other-day order is
        two days' supply."""
        return {day + timedelta(days=n) for n in range(self.schedule.every_days)}

    def per_slot(self, day: date) -> Decimal:
        return self.dose_on(day) / self.schedule.times_per_day

    def slots(self) -> range:
        return range(1, self.schedule.times_per_day + 1)

    def filled(self, day: date, slot: int) -> UUID | None:
        """The dose or take-home dispense that covers this slot, if any."""
        return self.given.get((day, slot)) or self.take_home.get((day, slot))

    def dosed_on(self, day: date) -> bool:
        return any(self.filled(day, slot) for slot in self.slots())

    def undosed(self) -> set[date]:
        """Days that passed without a dose as recorded: missed or not given, and not dosed
        after all (a client turned away intoxicated may come back and be dosed that day; a
        dose is charted late for a day the sweep found missed)."""
        return {day for day in self.missed | self.not_given if not self.dosed_on(day)}

    def held_at(self, moment: datetime) -> bool:
        """On hold at ``moment``: a hold placed by then and not lifted yet."""
        return any(start <= moment and (end is None or moment < end) for start, end in self.held)

    def taken_at(self, moment: datetime, day_of: Callable[[datetime], date]) -> bool:
        """The client was on it at ``moment``: in force (``in_force_at``) and not on hold, or
        on hold but dosed under it on that program day or the day before (at the window, or a
        take-home bottle for the day): a day's dose still shows the next day (methadone's and
        buprenorphine's half-lives are a day or more). A held order is still prescribed, but
        the window gives no dose under it."""
        if not self.in_force_at(moment, day_of):
            return False
        if not self.held_at(moment):
            return True
        dosed, day = self.dispensed_days(), day_of(moment)
        return day in dosed or day - timedelta(days=1) in dosed

    def held_after(self, day: date, day_of: Callable[[datetime], date]) -> bool:
        """A hold was placed on a program day after ``day`` (lifted since or not)."""
        return any(day_of(start) > day for start, _ in self.held)

    def given_amount(self, day: date) -> Decimal:
        """What was consumed at the window on ``day`` (replacements stand in for lost doses)."""
        return sum(
            (self.amounts[d][1] for d in self.doses_on.get(day, ()) if d not in self.replaced),
            Decimal(0),
        )

    def previous_due_day(self, day: date) -> date:
        return day - timedelta(days=self.schedule.every_days)
