"""Alert evaluation: a pure function of the rule table, the client's history and one new event.

``evaluate`` returns complete ``AlertRaised`` events whose ids, times and envelope are all
derived from the triggering event, so evaluating the same history again (an audit replay,
see ``replay.py``) yields equal events, not just similar ones. ``History`` is what the rules
read of the client's record before the new event, built from the aggregates by
``history_of``; commands and the replay build it the same way. Rules that read "the latest"
or "in a row" go by clinical time (when a reading was taken, a session began), not by when it
was entered: an entry recorded late counts where it happened, and raises an alert only if it
is among the latest. The screen and withdrawal rules ("while on methadone", "in maintenance")
read the orders in force when the screen was collected or the score taken, not those in force
now: a screen collected before the first order and entered after it is not a screen "while
on" it. The QTc and creatinine clearance rules read the current orders (see
``History.medication_classes``). Days are
the program's (``AlertRules.day_of``, in its time zone), as the medication tables' dosing day
is: an order is in force on the program's day of the moment, and the days of maintenance are
counted from the first dose's dosing day to it.

An order on hold is prescribed but not given. The rows that ask whether the client was taking
an agonist (a screen negative for it, withdrawal in maintenance) do not count it, unless the
client was dosed under it that program day or the day before, a dose that still shows
(``Order.taken_at``); those about its risks (a depressant found or reported on an agonist,
the QTc on methadone) do, as the drug and its risks outlast a hold and resuming is the decision
they inform.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from carecoord.events import Actor, CareEvent, Kind, Role, amounts, bounds
from carecoord.events.alerts import AlertRaised
from carecoord.events.checkins import (
    AnalyteResult,
    CheckInEnteredInError,
    CheckInRecorded,
    DrugScreenResulted,
    Entry,
    InstrumentScored,
    VitalSignsRecorded,
)
from carecoord.events.therapy import SessionNoShow, SessionOutcome, SessionOutcomeCorrected
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.rules import (
    AGONIST_ANALYTES,
    EXPECTED_ANALYTES,
    AlertRule,
    AlertRules,
    Test,
)
from carecoord.services.care.record import ClientRecord
from carecoord.services.checkins.analytes import reported
from carecoord.services.checkins.instruments import INSTRUMENTS
from carecoord.services.checkins.record import CheckInRecord, Reading
from carecoord.services.checkins.side_effects import signs_reported
from carecoord.services.kernel.platform_ids import ALERT_RULES
from carecoord.services.kernel.policy import writer_sees
from carecoord.services.medication.formulary import FORMULARY, Formulary
from carecoord.services.medication.orders import Order, Status
from carecoord.services.medication.record import MedicationRecord, Statement
from carecoord.services.therapy.record import Closed, Outcome, TherapyRecord, no_show_run

RULES_ACTOR = Actor(id=ALERT_RULES, role=Role.SYSTEM)
_ALERT_IDS = uuid5(NAMESPACE_URL, "https://carecoord.dev/alerts")

DayOf = Callable[[datetime], date]
"""The program's day a moment falls on (``AlertRules.day_of``)."""


@dataclass(frozen=True, slots=True)
class Prescribed:
    """One order as the rules read it: its formulary classes, its period (the order's own
    rules say when it was in force), and the first dose of the treatment it continues (its
    own, or of the orders it replaced: a dose change does not restart maintenance)."""

    classes: frozenset[str]
    order: Order
    first_dose_day: date | None


@dataclass(frozen=True, slots=True)
class Reported:
    """A medication another prescriber or the PDMP reports, as the rules read it."""

    classes: frozenset[str]
    statement: Statement

    def taken_at(self, moment: datetime, day_of: DayOf) -> bool:
        """Reported taken at ``moment``: from its first day, until it was stopped."""
        since, stopped = self.statement.since, self.statement.stopped_at
        return (since is None or since <= day_of(moment)) and (stopped is None or moment < stopped)


@dataclass(frozen=True, slots=True)
class History:
    """What the rules read of a client's record as it stood before the new event."""

    cravings: tuple[Reading, ...] = ()
    """Craving readings not in error, in the order recorded."""
    moods: tuple[Reading, ...] = ()
    """Mood readings not in error, in the order recorded."""
    qtcs: tuple[Reading, ...] = ()
    """The QTcs not in error, each by the event that recorded its vital signs."""
    clearances: tuple[Reading, ...] = ()
    """The creatinine clearances not in error, each by the event that recorded it."""
    closed: tuple[Closed, ...] = ()
    """Therapy sessions with an outcome (as corrected)."""
    session_starts: Mapping[UUID, datetime] = field(default_factory=dict)
    """When each of the client's sessions was scheduled to begin."""
    medication_classes: frozenset[str] = frozenset()
    """Formulary classes of the client's current orders (active or on hold): the QTc rule
    reads these, as the latest QTc stands for the client now, whatever was prescribed when
    it was measured (a QTc of 520 before methadone matters the more once on it)."""
    orders: tuple[Prescribed, ...] = ()
    """Every order the formulary knows; ``classes_at`` reads those in force at a time."""
    reported: tuple[Reported, ...] = ()
    """The medications other prescribers or the PDMP report, not marked in error."""
    open_rules: frozenset[str] = frozenset()
    screen_alerts: Mapping[UUID, frozenset[str]] = field(default_factory=dict)
    """By drug screen id, the rules that alerted on it: a definitive screen confirming it
    tests the same specimen, on which each rule alerts once (``evaluate``)."""
    alerted_on: Mapping[UUID, frozenset[str]] = field(default_factory=dict)
    """By event id, the rules that raised an alert with it in evidence, open or resolved."""
    readmissions: tuple[datetime, ...] = ()
    """When each readmission began a new treatment episode, oldest first."""

    def on_medication(self, rule: AlertRule, day: date) -> str | None:
        """How the client is on the row's ``medication_class`` by its current orders, as its
        detail names it (the class, and for a row on the daily dose the highest one on the
        program's ``day``); None if not, or not above the row's ``daily_above``."""
        if rule.medication_class not in self.medication_classes:
            return None
        if rule.daily_above is None:
            return rule.medication_class
        daily = max(
            (
                (p.order.dose_on(day), p.order.unit)
                for p in self.orders
                if p.order.current and rule.medication_class in p.classes
            ),
            default=None,
        )
        if daily is None or daily[0] <= rule.daily_above:
            return None
        return f"{rule.medication_class} {amounts.shown(daily[0])} {daily[1]} a day"

    def episode_of(self, moment: datetime) -> int:
        """Which of the client's treatment episodes ``moment`` falls in (0 the first): a
        run of no-shows is counted within one."""
        return sum(readmitted <= moment for readmitted in self.readmissions)

    def classes_at(self, moment: datetime, day_of: DayOf) -> frozenset[str]:
        """Formulary classes of the orders in force at ``moment`` (active or on hold), on the
        program's day ``day_of`` gives it."""
        return frozenset(
            c for p in self.orders if p.order.in_force_at(moment, day_of) for c in p.classes
        )

    def agonists_at(self, moment: datetime, day_of: DayOf) -> frozenset[str]:
        """The agonists prescribed at ``moment``, an order on hold included: what the
        depressant screen row reads (``_screen_positive_on_agonist``)."""
        return self.classes_at(moment, day_of) & AGONIST_ANALYTES.keys()

    def expected_at(self, moment: datetime, day_of: DayOf) -> dict[str, list[str]]:
        """The depressant analytes a prescription the client was taking at ``moment``
        explains (``EXPECTED_ANALYTES``), each with the medications that explain it: an order
        here in force and not on hold (``Order.taken_at``), or one reported prescribed."""
        taken = [
            (p.classes | {p.order.medication}, p.order.medication)
            for p in self.orders
            if p.order.taken_at(moment, day_of)
        ] + [
            (r.classes | {r.statement.medication}, r.statement.medication)
            for r in self.reported
            if r.taken_at(moment, day_of)
        ]
        return {
            analyte: by
            for analyte, explains in EXPECTED_ANALYTES.items()
            if (by := sorted({code for classes, code in taken if classes & explains}))
        }

    def stopped_within(
        self, medication_class: str, moment: datetime, days: int, day_of: DayOf
    ) -> bool:
        """An order of ``medication_class`` stopped or ended no more than ``days`` program
        days before ``moment``."""
        return any(
            medication_class in p.classes and _stopped_within(p.order, moment, days, day_of)
            for p in self.orders
        )

    def agonists_taken_at(self, moment: datetime, day_of: DayOf) -> frozenset[str]:
        """The agonists the client was on at ``moment``: of orders in force and not on hold,
        or on hold but dosed that program day or the day before (``Order.taken_at``). What the
        negative screen and the maintenance withdrawal rows read."""
        return frozenset(
            c
            for p in self.orders
            if p.order.taken_at(moment, day_of)
            for c in p.classes & AGONIST_ANALYTES.keys()
        )

    def in_maintenance(self, moment: datetime, after_days: int, day_of: DayOf) -> bool:
        """On an agonist at ``moment``, not on hold (``Order.taken_at``), whose treatment's
        first dose is ``after_days`` back, counted in the program's days (a dose's day is its
        dosing day). Withdrawal while the order is held is the hold's doing, not a dose too
        low: no dose-adequacy review."""
        return any(
            p.classes & AGONIST_ANALYTES.keys()
            and p.order.taken_at(moment, day_of)
            and p.first_dose_day is not None
            and (day_of(moment) - p.first_dose_day).days >= after_days
            for p in self.orders
        )


def _stopped_within(order: Order, moment: datetime, days: int, day_of: DayOf) -> bool:
    """``order``'s last day in force (its stop's or its end) no more than ``days`` program
    days before ``moment``; an order entered in error never was in force."""
    if order.status is Status.ENTERED_IN_ERROR:
        return False
    stopped = None if order.stopped_at is None else day_of(order.stopped_at)
    last = min((d for d in (order.end, stopped) if d is not None), default=None)
    day = day_of(moment)
    return last is not None and order.start <= last <= day <= last + timedelta(days=days)


def history_of(
    checkins: CheckInRecord,
    therapy: TherapyRecord,
    medication: MedicationRecord,
    alerts: AlertRecord,
    client: ClientRecord,
    formulary: Formulary = FORMULARY,
) -> History:
    orders = tuple(
        Prescribed(known.classes, order, _first_dose_day(medication, order))
        for order in medication.orders.values()
        if (known := formulary.medications.get(order.medication)) is not None
    )
    current = (c for p in orders if p.order.current for c in p.classes)
    alerted_on = alerts.alerted_on
    return History(
        cravings=tuple(checkins.cravings),
        moods=tuple(checkins.moods),
        qtcs=tuple(
            Reading(checkins.entries[q.vitals_id].event_id, q.qtc_ms, q.measured_at)
            for q in checkins.qtcs
        ),
        clearances=tuple(
            Reading(checkins.entries[c.vitals_id].event_id, c.ml_min, c.measured_at)
            for c in checkins.clearances
        ),
        closed=tuple(therapy.closed.values()),
        session_starts={i: s.scheduled_for for i, s in therapy.sessions.items()},
        medication_classes=frozenset(current),
        orders=orders,
        reported=tuple(
            Reported(known.classes, statement)
            for statement in medication.statements.values()
            if statement.prescribed
            and statement.in_error is None
            and (known := formulary.medications.get(statement.medication)) is not None
        ),
        open_rules=alerts.open_rules,
        screen_alerts=_screen_alerts(checkins, alerted_on),
        alerted_on=alerted_on,
        readmissions=tuple(back for _, back in client.gaps if back is not None),
    )


def _screen_alerts(
    checkins: CheckInRecord, alerted: Mapping[UUID, frozenset[str]]
) -> dict[UUID, frozenset[str]]:
    return {
        screen_id: alerted[entry.event_id]
        for screen_id, entry in checkins.entries.items()
        if entry.entry is Entry.DRUG_SCREEN
        and screen_id == entry.entry_id
        and entry.event_id in alerted
    }


def _first_dose_day(medication: MedicationRecord, order: Order) -> date | None:
    """The first dose given under ``order`` or the orders it replaced, one after another."""
    days: list[date] = []
    current: Order | None = order
    while current is not None:
        days.extend(current.doses_on)
        prior = current.prior_order_id
        current = None if prior is None else medication.orders.get(prior)
    return min(days, default=None)


@dataclass(frozen=True, slots=True)
class Finding:
    detail: str
    evidence: tuple[UUID, ...]


Check = Callable[[AlertRule, History, CareEvent, DayOf], Finding | None]
"""One ``Test``'s logic: the row, the history, the new event and the program's day of a
moment (for the tests that count days)."""


def evaluate(rules: AlertRules, history: History, event: CareEvent) -> list[AlertRaised]:
    """The alerts ``event`` raises, given the client's ``history`` before it, on the days of
    the program's time zone (``rules.zone``)."""
    raised = []
    for rule in rules.rules:
        if rule.while_open_once and rule.id in history.open_rules:
            continue
        check = CHECKS.get(rule.test)
        if check is None or rule.id in _specimen_alerted(history, event):
            continue  # no check: a take-home row, raised by a stop or a change (recall.py)
        found = check(rule, history, event, rules.day_of)
        if found is not None:
            raised.append(alert_raised(rule, event, found))
    return raised


def _specimen_alerted(history: History, event: CareEvent) -> frozenset[str]:
    """The rules that alerted on the presumptive screen a definitive one confirms: one
    specimen, and what both found is one condition (a second high fentanyl alert for it
    would be a duplicate); what the lab alone found still raises its alert."""
    if not isinstance(event, DrugScreenResulted) or event.confirms is None:
        return frozenset()
    return history.screen_alerts.get(event.confirms, frozenset())


def alert_raised(rule: AlertRule, trigger: CareEvent, found: Finding) -> AlertRaised:
    """The alert ``rule`` raises on ``trigger``: one id per trigger and rule, so the replay
    raises the same one."""
    alert_id = uuid5(_ALERT_IDS, f"{trigger.event_id}/{rule.id}")
    return AlertRaised(
        event_id=alert_id,
        client_id=trigger.client_id,
        occurred_at=trigger.occurred_at,
        recorded_at=trigger.recorded_at,
        actor=RULES_ACTOR,
        correlation_id=trigger.correlation_id,
        causation_id=trigger.event_id,
        alert_id=alert_id,
        rule_id=rule.id,
        rule_version=rule.version,
        severity=rule.severity,
        title=rule.title,
        detail=found.detail[:500],
        action=rule.action,
        # The newest of a long run (years of no-shows) within what an event can carry.
        evidence=found.evidence[-bounds.COUNT_MAX :],
    )


def _instrument_score(
    rule: AlertRule, history: History, event: CareEvent, day_of: DayOf
) -> Finding | None:
    if not isinstance(event, InstrumentScored) or event.instrument is not rule.instrument:
        return None
    what, _, name = rule.score.partition(":")
    value = {
        "total": event.total,
        "item": event.answers.get(name),
        "subscale": event.subscales.get(name),
        "signs": len(event.signs),
        "unanswered": int(name in event.unanswered),
    }[what]
    if value is None or not rule.in_range(value):
        return None
    if rule.maintenance_days is not None and not history.in_maintenance(
        event.occurred_at, rule.maintenance_days, day_of
    ):
        return None
    return Finding(_score_detail(event, what, name, value), (event.event_id,))


def _score_detail(event: InstrumentScored, what: str, name: str, value: int) -> str:
    """What an instrument alert says of the score its rule read (``AlertRule.score``)."""
    instrument = event.instrument.value
    if what == "signs":
        return f"{instrument} {', '.join(event.signs)} (total {event.total}, {event.band})"
    if what == "item":
        return _item_answered(event, name, value)
    if what == "unanswered":
        return f"{instrument} item {name} unanswered; total {event.total} prorated ({event.band})"
    label = what if not name else f"{what} {name}"
    return f"{instrument} {label} {value} ({event.band})"


def _item_answered(event: InstrumentScored, item_id: str, answer: int) -> str:
    """The item's answer and what it says, then the total and its band apart: the band is
    the total's, and beside the item's answer ("PHQ-9 item 9 1 (minimal)") it read as what
    the answer meant."""
    meaning = INSTRUMENTS[event.instrument].meaning(item_id, answer)
    said = f"{answer} ({meaning})" if meaning else str(answer)
    total = "" if event.total is None else f"; total {event.total} ({event.band})"
    return f"{event.instrument.value} item {item_id} answered {said}{total}"


def _substance_use(rule: AlertRule, _: History, event: CareEvent, __: DayOf) -> Finding | None:
    """The substances as the check-in names them where its writer's words show to whoever
    sees the alert (a client's own, a peer supporter's); a nurse's may name a dose, which
    the alert would tell a peer supporter the check-in itself withholds from them."""
    if not isinstance(event, CheckInRecorded) or not event.substance_use:
        return None
    named = ", ".join(event.substances) or "substance not named"
    if event.substances and writer_sees(event.actor.role) - rule.reveals - {Kind.ALERT, Kind.CARE}:
        named = "named in the check-in"
    return Finding(f"use since last check-in: {named}", (event.event_id,))


def _craving_rise(rule: AlertRule, history: History, event: CareEvent, _: DayOf) -> Finding | None:
    if isinstance(event, CheckInEnteredInError):
        return _sustained_without(rule, "craving", history, history.cravings, event, rising=True)
    if not isinstance(event, CheckInRecorded) or event.craving is None:
        return None
    new = Reading(event.event_id, event.craving, event.occurred_at)
    return _sustained(rule, "craving", [*history.cravings, new], new, rising=True)


def _mood_drop(rule: AlertRule, history: History, event: CareEvent, _: DayOf) -> Finding | None:
    if isinstance(event, CheckInEnteredInError):
        return _sustained_without(rule, "mood", history, history.moods, event, rising=False)
    if not isinstance(event, CheckInRecorded) or event.mood is None:
        return None
    new = Reading(event.event_id, event.mood, event.occurred_at)
    return _sustained(rule, "mood", [*history.moods, new], new, rising=False)


def _sustained_without(
    rule: AlertRule,
    measure: str,
    history: History,
    series: tuple[Reading, ...],
    corrected: CheckInEnteredInError,
    *,
    rising: bool,
) -> Finding | None:
    """The run the latest readings make once a reading is marked entered in error, where it
    made none with it: a calm craving typed on the wrong client hid a rise, which no reading
    to come would tell of until the next check-in. Raised on the correction, unless the run
    is one an alert of the rule told of already (raised before the reading, and resolved)."""
    left = sorted(
        (r for r in series if r.event_id != corrected.entry_event_id), key=lambda r: r.taken_at
    )
    if len(left) == len(series) or not left:
        return None  # not a reading of this measure
    whole = sorted(series, key=lambda r: r.taken_at)
    if _sustained(rule, measure, whole, whole[-1], rising=rising) is not None:
        return None  # the run stood with it: raised then, or open still
    found = _sustained(rule, measure, left, left[-1], rising=rising)
    if found is None or all(rule.id in history.alerted_on.get(e, ()) for e in found.evidence):
        return None
    return found


def _sustained(
    rule: AlertRule, measure: str, series: list[Reading], new: Reading, *, rising: bool
) -> Finding | None:
    """The last ``window`` readings of ``series`` all ``threshold`` or more above (``rising``)
    or below the client's own baseline, the new one among them: one reading apart from the
    client's usual is a bad day, a run of them a change."""
    # By when taken; the new reading goes after any taken at the same time (a stable sort).
    readings = sorted(series, key=lambda r: r.taken_at)
    window, before = readings[-rule.window :], readings[: -rule.window]
    base = before[-rule.baseline :]
    if new not in window or len(window) < rule.window or len(base) < rule.baseline_min:
        return None
    baseline = statistics.median(r.value for r in base)
    sign = 1 if rising else -1
    if any(sign * (r.value - baseline) < rule.threshold for r in window):
        return None
    shown = ", ".join(str(r.value) for r in window)
    return Finding(
        f"{measure} {shown} against a baseline of {baseline:g} (last {len(base)} readings)",
        tuple(r.event_id for r in window),
    )


@dataclass(frozen=True, slots=True)
class Measured:
    """A vital sign a row reads on a medication: what the vital signs gave of it, its readings
    in the history, and whether a value is one the row alerts on."""

    name: str
    unit: str
    value: Callable[[VitalSignsRecorded], int | None]
    readings: Callable[[History], tuple[Reading, ...]]
    alerts_on: Callable[[AlertRule, int], bool]

    def check(
        self, rule: AlertRule, history: History, event: CareEvent, day_of: DayOf
    ) -> Finding | None:
        if isinstance(event, CheckInEnteredInError):
            return self._standing_again(rule, history, event, day_of)
        value = self.value(event) if isinstance(event, VitalSignsRecorded) else None
        if value is None:
            return None
        latest_at = max((r.taken_at for r in self.readings(history)), default=None)
        if latest_at is not None and event.occurred_at < latest_at:
            return None  # measured before the latest, which stands
        on = history.on_medication(rule, day_of(event.occurred_at))
        if on is None or not self.alerts_on(rule, value):
            return None
        return Finding(self._detail(rule, value, on), (event.event_id,))

    def _standing_again(
        self, rule: AlertRule, history: History, corrected: CheckInEnteredInError, day_of: DayOf
    ) -> Finding | None:
        """The reading measured before the latest, once the latest is marked entered in
        error: it stands for the client again, and one entered late, which the latest kept
        from alerting, raises its alert on the correction (unless the row alerted on it)."""
        readings = self.readings(history)
        if not readings:
            return None
        latest = max(readings, key=lambda r: r.taken_at)
        left = [r for r in readings if r.event_id != corrected.entry_event_id]
        if latest.event_id != corrected.entry_event_id or not left:
            return None  # the latest stands, or none is left
        standing = max(left, key=lambda r: r.taken_at)
        on = history.on_medication(rule, day_of(corrected.occurred_at))
        if on is None or not self.alerts_on(rule, standing.value):
            return None
        if rule.id in history.alerted_on.get(standing.event_id, ()):
            return None
        return Finding(self._detail(rule, standing.value, on), (standing.event_id,))

    def _detail(self, rule: AlertRule, value: int, on: str) -> str:
        return f"{self.name} {value} {self.unit} on {on}"


QTC = Measured("QTc", "ms", lambda v: v.qtc_ms, lambda h: h.qtcs, AlertRule.in_range)
CLEARANCE = Measured(
    "creatinine clearance",
    "mL/min",
    lambda v: v.creatinine_clearance_ml_min,
    lambda h: h.clearances,
    AlertRule.in_clearance_range,
)
"""A clearance alerts at or below the row's threshold (above its ``above``): the lower, the
worse."""


def _found(rule: AlertRule, event: CareEvent) -> list[str]:
    """The rule's analytes ``event`` is a screen positive for; none if it is no screen."""
    if not isinstance(event, DrugScreenResulted):
        return []
    return sorted(
        f.analyte
        for f in event.results
        if f.analyte in rule.analytes and f.result is AnalyteResult.POSITIVE
    )


def _positive(rule: AlertRule, event: CareEvent, expected: Collection[str] = ()) -> str:
    """The rule's analytes ``event`` is a screen positive for, but the ``expected`` ones,
    named; empty if none."""
    return ", ".join(a for a in _found(rule, event) if a not in expected)


def _screen_positive(rule: AlertRule, _: History, event: CareEvent, __: DayOf) -> Finding | None:
    """Found on a screen or told at a check-in, on an agonist or not: a client who says they
    used fentanyl is at the overdose risk a screen finding it shows."""
    return _found_or_reported(rule, event)


def _reported_use(rule: AlertRule, event: CareEvent) -> str:
    """The rule's analytes the substances a check-in reports using stand for (``reported``:
    Xanax as benzodiazepines, beer as alcohol), named as the analytes; empty if none. The
    check-in's own words stay with ``_substance_use``'s alert."""
    if not isinstance(event, CheckInRecorded) or not event.substance_use:
        return ""
    return ", ".join(sorted(reported(event.substances) & rule.analytes))


def _screen_positive_on_agonist(
    rule: AlertRule, history: History, event: CareEvent, day_of: DayOf
) -> Finding | None:
    """A screen that found the substance or a check-in where the client said they used it:
    the combination is the overdose risk whether found or told, as the medication rules read
    reported use (``monitored.py``). An order on hold counts: methadone and buprenorphine
    outlast the last dose by days (and take-home bottles may be at home), the hold is often
    for the very intoxication the screen shows, and resuming is when the overdose-risk review
    matters most."""
    agonists = history.agonists_at(event.occurred_at, day_of)
    if not agonists:
        return None
    expected = history.expected_at(event.occurred_at, day_of)
    return _found_or_reported(rule, event, f" while on {', '.join(sorted(agonists))}", expected)


def _screen_prescribed_on_agonist(
    rule: AlertRule, history: History, event: CareEvent, day_of: DayOf
) -> Finding | None:
    """What the depressant row leaves out, a screen finding the client's own prescription
    explains on an agonist: still the combination's risk, reviewed once while its alert is
    open, not the high alert on every screen. Named with the prescription, the reason the
    clinician reads for the lower severity."""
    found = _found(rule, event)
    agonists = history.agonists_at(event.occurred_at, day_of) if found else frozenset()
    expected = history.expected_at(event.occurred_at, day_of) if agonists else {}
    found = [a for a in found if a in expected]
    if not found:
        return None
    by = sorted({code for analyte in found for code in expected[analyte]})
    return Finding(
        f"positive for {', '.join(found)} while on {', '.join(sorted(agonists))};"
        f" expected: {', '.join(by)} prescribed",
        (event.event_id,),
    )


def _screen_positive_on_medication(
    rule: AlertRule, history: History, event: CareEvent, day_of: DayOf
) -> Finding | None:
    """Found or told while an order of the row's class is in force, a held one included, or
    within the row's washout after it: disulfiram outlasts its last dose (a reaction is
    possible for two weeks after it)."""
    moment, drug = event.occurred_at, rule.medication_class
    if drug in history.classes_at(moment, day_of):
        context = f" while on {drug}"
    elif history.stopped_within(drug, moment, rule.washout_days, day_of):
        context = f" within {rule.washout_days} days of stopping {drug}"
    else:
        return None
    return _found_or_reported(rule, event, context)


def _found_or_reported(
    rule: AlertRule, event: CareEvent, context: str = "", expected: Collection[str] = ()
) -> Finding | None:
    """A screen positive for the rule's analytes but the ``expected`` ones (a check-in's
    reported use is never expected), or a check-in reporting use of them, named as analytes
    (never the check-in's words), followed by ``context``."""
    if positive := _positive(rule, event, expected):
        return Finding(f"positive for {positive}{context}", (event.event_id,))
    if used := _reported_use(rule, event):
        return Finding(f"use of {used} reported at a check-in{context}", (event.event_id,))
    return None


def _sedation_on_agonist(
    _: AlertRule, history: History, event: CareEvent, day_of: DayOf
) -> Finding | None:
    """Sedation or slowed breathing told at a check-in on an agonist, a held order counted:
    the drug outlasts the hold, and take-home bottles may be at home. Named as the signs,
    never the check-in's words."""
    if not isinstance(event, CheckInRecorded):
        return None
    signs = signs_reported(event.side_effects)
    agonists = history.agonists_at(event.occurred_at, day_of) if signs else frozenset()
    if not agonists:
        return None
    on = ", ".join(sorted(agonists))
    return Finding(f"{' and '.join(signs)} reported at a check-in while on {on}", (event.event_id,))


def _screen_negative(
    _: AlertRule, history: History, event: CareEvent, day_of: DayOf
) -> Finding | None:
    """Only the agonists the client was on at collection: an order on hold gives no doses,
    so a screen without its drug is what the hold leads to, not a sign of diversion; unless
    a dose was given or taken home for that day or the day before (``Order.taken_at``),
    which should show."""
    if not isinstance(event, DrugScreenResulted):
        return None
    results = {f.analyte: f.result for f in event.results}
    missing = []
    for agonist in sorted(history.agonists_taken_at(event.occurred_at, day_of)):
        tested = [results[a] for a in AGONIST_ANALYTES[agonist] if a in results]
        if tested and all(r is AnalyteResult.NEGATIVE for r in tested):
            missing.append(agonist)
    if not missing:
        return None
    return Finding(f"negative for prescribed {', '.join(missing)}", (event.event_id,))


def _no_shows(rule: AlertRule, history: History, event: CareEvent, _: DayOf) -> Finding | None:
    """A no-show, or a session corrected to one, that makes a run of ``threshold``: the run
    since the last attended session of its treatment episode, in the order sessions began,
    with this one in it (a readmitted client's no-shows do not continue the last episode's)."""
    if not isinstance(event, SessionNoShow | SessionOutcomeCorrected):
        return None
    if isinstance(event, SessionOutcomeCorrected) and event.outcome is not SessionOutcome.NO_SHOW:
        return _no_shows_rejoined(rule, history, event)
    began = history.session_starts[event.session_id]
    closed = Closed(event.session_id, Outcome.NO_SHOW, event.event_id, began)
    episode = history.episode_of(began)
    others = (
        c
        for c in history.closed
        if c.session_id != event.session_id and history.episode_of(c.scheduled_for) == episode
    )
    run = no_show_run([*others, closed])
    if event.event_id not in run:
        return None  # a session before the last attended: the run since it is as it was
    if len(run) < rule.threshold:
        return None
    return Finding(f"{len(run)} consecutive no-shows", run)


def _no_shows_rejoined(
    rule: AlertRule, history: History, event: SessionOutcomeCorrected
) -> Finding | None:
    """An attended session corrected to a late cancellation, which leaves a run as it was:
    the no-shows on either side of it are one run now, raised on the correction unless an
    alert of the rule told of them already. One corrected to another length is attended
    still, and ends the run before it as it did."""
    attended, late = SessionOutcome.ATTENDED, SessionOutcome.LATE_CANCELLED
    if (event.previous_outcome, event.outcome) != (attended, late):
        return None
    episode = history.episode_of(history.session_starts[event.session_id])
    mine = [c for c in history.closed if history.episode_of(c.scheduled_for) == episode]
    before = no_show_run(mine)
    run = no_show_run(c for c in mine if c.session_id != event.session_id)
    if len(run) < rule.threshold or len(before) >= rule.threshold:
        return None
    if all(rule.id in history.alerted_on.get(e, ()) for e in run):
        return None
    return Finding(f"{len(run)} consecutive no-shows", run)


CHECKS: dict[Test, Check] = {
    Test.INSTRUMENT_SCORE: _instrument_score,
    Test.SUBSTANCE_USE: _substance_use,
    Test.CRAVING_RISE: _craving_rise,
    Test.MOOD_DROP: _mood_drop,
    Test.QTC_ON_MEDICATION: QTC.check,
    Test.CLEARANCE_ON_MEDICATION: CLEARANCE.check,
    Test.SCREEN_POSITIVE: _screen_positive,
    Test.SCREEN_POSITIVE_ON_AGONIST: _screen_positive_on_agonist,
    Test.SCREEN_PRESCRIBED_ON_AGONIST: _screen_prescribed_on_agonist,
    Test.SCREEN_POSITIVE_ON_MEDICATION: _screen_positive_on_medication,
    Test.SCREEN_NEGATIVE_FOR_AGONIST: _screen_negative,
    Test.CONSECUTIVE_NO_SHOWS: _no_shows,
    Test.SEDATION_ON_AGONIST: _sedation_on_agonist,
}
