"""Missed-dose detection: which dosing days passed without a dose, and when to hold.

A rule over the record, so it is deterministic and auditable: a scheduled day of a
clinic-dispensed order that has fully passed with no observed dose, no take-home covering it
and no dose not given recorded for it, while the order was neither on hold nor the client
guest dosing elsewhere, is missed. Detection walks every day from the order's start, so it
catches up after any downtime of the sweep, and skips days already found, so running it twice
records nothing new.

An order entered late (a paper or telephone order written during a downtime of the platform,
its ``start`` before the day it was entered) covers days whose doses were charted on paper:
the sweep judges those days only once ``charting_grace_days`` whole program days have passed
after the day it was entered, so the nurses chart the paper doses first (version 4: the sweep
found every such day missed within the hour, raised an alert for each, and held the order,
which refuses the very doses to chart). The window's check before the day's first dose
(``dispensing.missed_hold_due``) gives no grace: a client back after three days with no dose
charted is assessed first, or the doses given on paper are charted first. An order that has
ended is never held: it takes no dose to hold, and a prescriber cannot resume it.

A day a dose not given was recorded for (``DoseNotGiven``: declined, intoxicated, a clinical
hold) is accounted for: the nurse saw the client and said why, so it is not missed as well
(version 1 recorded it missed too, and the day counted twice in the dosing view, the
caseload's missed days and the FHIR export). It is still a day without a dose, so it counts
in the consecutive days: two days missed and one not given are three in a row, as they were
in version 1, and reach the hold as before. Where the third such day is one not given, the
hold is placed with no missed day recorded, once. No hold is placed for days a hold placed
since followed, lifted or not (a prescriber assessed the client; version 3): a sweep that
found the days late held again an order resumed and dosed since. The window does not wait
for the sweep: the day's first dose under an order the rule holds is refused until the
order is held (``dispensing.missed_hold_due``).

After ``hold_after`` consecutive dosing days without a dose the order is put on hold until a
prescriber assesses the client (Australian national methadone guideline, section 3.5:
"if three or more consecutive days are missed, withhold or reduce until assessed").
That hold, with the recall of take-home bottles out for the days after it
(``alerts/recall.py``), is all the platform does for three or four days missed: the
prescriber who assesses the client writes the reduced dose the guideline suggests (half, or
40 mg or half whichever is lower on the fourth day) as a dose change on resuming. Five or
more days (by default) with no methadone given or in hand are a restart, counted in days
without methadone rather than this order's dosing days (``induction.py``): the first dosing
day back is held to the initial-dose cap, resumed or not, unless an order written after the
gap, or the resume, acknowledges it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from carecoord.events.medication import Dispensing
from carecoord.services.medication.orders import Order

GUIDELINE = (
    "https://www1.health.gov.au/internet/publications/publishing.nsf/Content/"
    "drugtreat-pubs-meth-toc~drugtreat-pubs-meth-s3~drugtreat-pubs-meth-s3-3.5"
)


@dataclass(frozen=True, slots=True)
class MissedDoseRule:
    id: str = "consecutive-missed-doses"
    version: str = "5"
    """5: the days in a row run on from an order of the medication that ran out by its end
    date, as from one stopped, and across the days with no order between, while the client
    had no dose of it here, was under no hold and was neither dosing elsewhere nor out of
    treatment (a client who missed an order's last days and the days before the next was
    dosed in full under the next). 4: days of an order entered late that passed before the
    day it was entered are judged ``charting_grace_days`` after it (the nurses chart the paper
    doses), and an order ended by then is not held. 3: no hold for days without a dose that a
    hold placed since followed (a prescriber held the order and so assessed the client; the
    sweep finding the days late held it again, resumed and dosed), and the days in a row run
    on from an order of the medication stopped before a new one began, as from one a dose
    change replaced. 2: a day a dose not given was recorded for is not missed (it still counts
    in the consecutive days); 1 recorded it missed as well."""
    hold_after: int = 3
    charting_grace_days: int = 1
    """Whole program days after the day an order was entered late before its earlier days
    are judged: the rest of that day and the next to chart the paper record; 0 judges them
    at once."""
    source: str = GUIDELINE


def never(_: date) -> bool:
    """No day out of treatment: a client never discharged."""
    return False


@dataclass(frozen=True, slots=True)
class Missed:
    """A dosing day without a dose, with the consecutive count it reaches and whether the
    order is held on it. ``not_given``: a day a dose not given was recorded for, found only
    to place the hold (``hold`` is then True): it is not recorded as missed."""

    day: date
    consecutive_days: int
    hold: bool
    not_given: bool = False
    not_given_days: int = 0
    """How many of the consecutive days were days a dose not given was recorded for."""


def missed_days(
    order: Order,
    today: date,
    *,
    away: Callable[[date], bool],
    rule: MissedDoseRule,
    day_of: Callable[[datetime], date],
    since: date | None = None,
    earlier: frozenset[date] = frozenset(),
    earlier_not_given: frozenset[date] = frozenset(),
    early: int = 0,
    successors: Sequence[Order] = (),
    grace: bool = False,
) -> list[Missed]:
    """New missed days of ``order`` before ``today``, each with its consecutive count.

    ``away`` tells whether the client was guest dosing elsewhere on a day. ``hold`` is
    set on the day that reaches ``rule.hold_after`` consecutive dosing days without a dose
    (missed or not given), if the order is not already on hold. A day a dose not given was
    recorded for is never missed: it is in the result only when it places the hold
    (``Missed.not_given``), and not when a hold was placed on a later day (that hold was for
    it, or a prescriber has held the order since). ``day_of`` maps a moment to the program's
    dosing day. ``since`` is the client's enrolment day: no dose could be recorded before it,
    so no earlier day is missed. ``earlier``: the days without a dose under the orders this
    one replaced (a dose change or taper), missed or not given, which a streak runs on from;
    ``earlier_not_given``: those of them a dose not given was recorded for. ``early``: the
    days before its due day a long-acting dose may be given (``Medication.early_days``);
    above 0, each due day is an interval after the dose given last (``_cycle_due_days``).
    ``successors``: the orders that replaced it in turn, whose holds hold it too.
    ``grace``: the sweep's judgement, which leaves the days before an order entered late was
    entered until ``rule.charting_grace_days`` after; the window's check before a dose gives
    none. No hold is placed once the order (its last replacement) has ended by ``today``.

    No hold is placed for days a hold placed on a later day followed, lifted or not: a
    prescriber held the order after them, which is the assessment the hold asks for. The
    sweep finds days late when it did not run (the process was down over the program's
    midnight, or had just started), and it held again an order a prescriber had held,
    assessed and resumed, the client dosed since.
    """
    if order.dispensing is not Dispensing.CLINIC:
        return []
    known = set(order.missed)
    undosed = {day for day in known | earlier if not order.dosed_on(day)}  # or dosed late
    found: list[Missed] = []
    latest = (order, *successors)[-1]
    hold_placed = order.hold is not None or latest.ended(today)
    charting = _charting(order, today, rule, day_of) if grace else None
    due_days = _cycle_due_days(order, today, early) if early else _due_days(order, today)
    for day in due_days:
        if (since is not None and day < since) or (charting is not None and day < charting):
            continue
        if day in known or order.dosed_on(day) or order.held_on(day, day_of) or away(day):
            continue
        if day in earlier:  # found under the order it replaced (a change dated back): once
            continue
        undosed.add(day)
        streak = _streak(order, day, undosed)
        reached = (
            not hold_placed
            and len(streak) >= rule.hold_after
            and not any(o.held_after(day, day_of) for o in (order, *successors))
        )
        not_given = len(streak & (order.not_given | earlier_not_given))
        if day in order.not_given:
            # Accounted for: never missed; the hold it completes is placed once.
            if reached:
                hold_placed = True
                found.append(Missed(day, len(streak), True, True, not_given))
            continue
        known.add(day)
        hold_placed = hold_placed or reached
        found.append(Missed(day, len(streak), reached, False, not_given))
    return found


def _charting(
    order: Order, today: date, rule: MissedDoseRule, day_of: Callable[[datetime], date]
) -> date | None:
    """The day an order entered late was entered, while its earlier days are still being
    charted from paper: none of them is judged yet."""
    entered = order.entered_late(day_of)
    grace = rule.charting_grace_days
    if entered is None or not grace or today > entered + timedelta(days=grace):
        return None
    return entered


def _due_days(order: Order, today: date) -> Iterator[date]:
    last = today - timedelta(days=1)
    if order.end is not None:
        last = min(last, order.end)
    day = order.start
    while day <= last:
        if order.in_period(day):  # not a day a replacement in error covered
            yield day
        day += timedelta(days=order.schedule.every_days)


def _cycle_due_days(order: Order, today: date, early: int) -> Iterator[date]:
    """The due days of a long-acting order that passed with no dose: the first is its start,
    each next an interval after the dose given last (``early`` days before a due day at the
    soonest, or any day after it, the due day then missed), or after the missed due day."""
    every = timedelta(days=order.schedule.every_days)
    last = today - timedelta(days=1)
    if order.end is not None:
        last = min(last, order.end)
    given = sorted(order.doses_on)
    due = order.start
    while due <= last:
        dose = next((d for d in given if d >= due - timedelta(days=early)), None)
        if dose is not None and dose <= due:
            due = dose + every
            continue
        if order.in_period(due):
            yield due
        due = dose + every if dose is not None and dose < due + every else due + every


def _streak(order: Order, day: date, undosed: set[date]) -> set[date]:
    """The dosing days without a dose in a row up to ``day``."""
    streak: set[date] = set()
    while day in undosed:
        streak.add(day)
        day = order.previous_due_day(day)
    return streak
