"""The check-in record aggregate: one client's check-ins, instruments, screens and vitals.

State keeps only what later decisions read: the craving and mood series, which the
craving-rise and mood-drop alerts compare against the client's own baseline, the latest
QTc, which medication's methadone QT rule is judged on, the latest creatinine clearance,
which its acamprosate renal rule is, the drug screens that found
something and the check-ins that reported use of an opioid, alcohol, a benzodiazepine or a
barbiturate, which medication's rules count as exposure (an opioid-positive screen or
reported heroin use before naltrexone, a benzodiazepine-positive one when methadone is written;
a definitive result in place of the presumptive one of its specimen, ``screens.py``), and
every entry by id, so one recorded in error is marked (``CheckInEnteredInError``) and then
counted in none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from carecoord.events import CareEvent, Kind, Role
from carecoord.events.bounds import said
from carecoord.events.checkins import (
    AnalyteFinding,
    AnalyteResult,
    CheckInEnteredInError,
    CheckInRecorded,
    DrugScreenResulted,
    Entry,
    Instrument,
    InstrumentScored,
    ReportSource,
    ScreenMethod,
    VitalSignsRecorded,
)
from carecoord.events.medication import ClearanceEvidence, QtcEvidence
from carecoord.services.checkins.analytes import analyte, reported
from carecoord.services.checkins.instruments import INSTRUMENTS, InstrumentSpec, score
from carecoord.services.checkins.screens import Screen, confirmation_of, retested
from carecoord.services.kernel.access import MAY_RECORD, Action, authorize
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.concealed import refuse_unseen
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.given_once import given_once
from carecoord.services.kernel.marked import Marked
from carecoord.services.kernel.stamp import Stamp

SOURCE_BY_ROLE: dict[Role, ReportSource] = {
    Role.CLIENT: ReportSource.SELF_REPORT,
    Role.PEER_SUPPORTER: ReportSource.PEER_SUPPORTER,
}


ENTRY_RECORDED_BY: dict[Entry, Action] = {
    Entry.CHECK_IN: Action.RECORD_CHECK_IN,
    Entry.INSTRUMENT: Action.SCORE_INSTRUMENT,
    Entry.DRUG_SCREEN: Action.RECORD_DRUG_SCREEN,
    Entry.VITAL_SIGNS: Action.RECORD_VITAL_SIGNS,
}
"""The action that records each kind of entry: the roles that may correct one are those that
may record it (and may correct at all: on the client's care team, never the client)."""


@dataclass(frozen=True, slots=True)
class Reading:
    event_id: UUID
    value: int
    taken_at: datetime
    """When the client reported it (clinical time), which rules that read a series go by."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """An entry as the record knows it: enough to name it in its correction."""

    entry: Entry
    entry_id: UUID
    event_id: UUID
    kind: Kind
    """The kind of the event that recorded it: who sees it (a screen or vitals are MEDICATION)."""
    instrument: Instrument | None = None

    def recorders(self) -> frozenset[Role]:
        """The roles that may record such an entry: a clinician-rated instrument (COWS,
        CIWA-Ar) is not the client's or a peer supporter's to give, nor to void."""
        roles = MAY_RECORD[ENTRY_RECORDED_BY[self.entry]]
        if self.instrument is not None and INSTRUMENTS[self.instrument].clinician_rated:
            return roles - SOURCE_BY_ROLE.keys()
        return roles


@dataclass(frozen=True, slots=True)
class PositiveScreen:
    """A drug screen that found at least one analyte, and when its specimen was collected;
    or a check-in that reported using a substance a screen would find, and when."""

    screen_id: UUID
    collected_at: datetime
    analytes: frozenset[str]
    self_reported: bool = False
    """A check-in's report (its id is the check-in's), not a screen's finding."""


@dataclass(frozen=True, slots=True)
class CheckIn:
    """What a check-in reports; every field optional, at least one given."""

    craving: int | None = None
    mood: int | None = None
    sleep_hours: Decimal | None = None
    sleep_quality: int | None = None
    side_effects: tuple[str, ...] = ()
    substance_use: bool | None = None
    substances: tuple[str, ...] = ()
    note: str = ""

    def empty(self) -> bool:
        measures = (self.craving, self.mood, self.sleep_hours, self.sleep_quality)
        return (
            all(m is None for m in measures)
            and self.substance_use is None
            and not _cleaned(self.side_effects)
            and not said(self.note)
        )


@dataclass(frozen=True, slots=True)
class Vitals:
    qtc_ms: int | None = None
    pulse_bpm: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    respiratory_rate: int | None = None
    spo2_percent: int | None = None
    creatinine_clearance_ml_min: int | None = None


class CheckInRecord(Aggregate, context="checkins"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.cravings: list[Reading] = []
        self.moods: list[Reading] = []
        self.qtcs: list[QtcEvidence] = []
        """Every QTc not in error, in the order recorded."""
        self.clearances: list[ClearanceEvidence] = []
        """Every creatinine clearance not in error, in the order recorded."""
        self.evidence: list[PositiveScreen] = []
        """Every drug screen not in error that found an analyte, and every check-in not in
        error that reported use of one, in the order recorded."""
        self.screens: dict[UUID, Screen] = {}
        """Every drug screen, by its own id."""
        self.entries: dict[UUID, Recorded] = {}
        """Every entry, by its own id and by its event's id."""
        self.in_error: dict[UUID, Marked] = {}
        """Entries marked entered in error, by their own id: when and by whom."""

    @property
    def latest_qtc(self) -> QtcEvidence | None:
        """The QTc measured last, which medication's QT rule is judged on; one entered in
        error is not (the one measured before it is again)."""
        latest: QtcEvidence | None = None
        for qtc in self.qtcs:
            if latest is None or qtc.measured_at >= latest.measured_at:
                latest = qtc
        return latest

    @property
    def latest_clearance(self) -> ClearanceEvidence | None:
        """The creatinine clearance measured last, which acamprosate's renal rule is judged
        on; one entered in error is not."""
        return max(reversed(self.clearances), key=lambda c: c.measured_at, default=None)

    @property
    def positive_screens(self) -> list[PositiveScreen]:
        """What ``evidence`` holds, less what a definitive result not in error tested again in
        the specimen of a presumptive screen (its own findings stand in their place)."""
        again: dict[UUID, frozenset[str]] = {}
        for screen in self.screens.values():
            if screen.confirms is not None and screen.screen_id not in self.in_error:
                again[screen.confirms] = retested(screen.analytes)
        kept = (
            replace(s, analytes=s.analytes - again.get(s.screen_id, frozenset()))
            for s in self.evidence
        )
        return [s for s in kept if s.analytes]

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, CheckInRecorded):
            self._entry(Entry.CHECK_IN, event.checkin_id, event)
            if event.craving is not None:
                self.cravings.append(Reading(event.event_id, event.craving, event.occurred_at))
            if event.mood is not None:
                self.moods.append(Reading(event.event_id, event.mood, event.occurred_at))
            used = reported(event.substances) if event.substance_use else frozenset()
            if used:
                self.evidence.append(
                    PositiveScreen(event.checkin_id, event.occurred_at, used, self_reported=True)
                )
        elif isinstance(event, InstrumentScored):
            self._entry(Entry.INSTRUMENT, event.assessment_id, event, event.instrument)
        elif isinstance(event, DrugScreenResulted):
            self._entry(Entry.DRUG_SCREEN, event.screen_id, event)
            self.screens[event.screen_id] = Screen(
                event.screen_id,
                event.occurred_at,
                event.method,
                frozenset(f.analyte for f in event.results),
                event.confirms,
            )
            found = frozenset(
                f.analyte for f in event.results if f.result is AnalyteResult.POSITIVE
            )
            if found:
                self.evidence.append(PositiveScreen(event.screen_id, event.occurred_at, found))
        elif isinstance(event, VitalSignsRecorded):
            self._entry(Entry.VITAL_SIGNS, event.vitals_id, event)
            if event.qtc_ms is not None:
                self.qtcs.append(
                    QtcEvidence(
                        vitals_id=event.vitals_id,
                        qtc_ms=event.qtc_ms,
                        measured_at=event.occurred_at,
                    )
                )
            if event.creatinine_clearance_ml_min is not None:
                self.clearances.append(
                    ClearanceEvidence(
                        vitals_id=event.vitals_id,
                        ml_min=event.creatinine_clearance_ml_min,
                        measured_at=event.occurred_at,
                    )
                )
        elif isinstance(event, CheckInEnteredInError):
            # When and by whom, never why: a refusal quoting it would carry clinical content.
            self.in_error[event.entry_id] = Marked(event.occurred_at, event.actor.id)
            self.cravings = [r for r in self.cravings if r.event_id != event.entry_event_id]
            self.moods = [r for r in self.moods if r.event_id != event.entry_event_id]
            self.qtcs = [q for q in self.qtcs if q.vitals_id != event.entry_id]
            self.clearances = [c for c in self.clearances if c.vitals_id != event.entry_id]
            self.evidence = [s for s in self.evidence if s.screen_id != event.entry_id]

    def _entry(
        self, entry: Entry, entry_id: UUID, event: CareEvent, instrument: Instrument | None = None
    ) -> None:
        recorded = Recorded(entry, entry_id, event.event_id, event.kind, instrument)
        self.entries[entry_id] = recorded
        self.entries[event.event_id] = recorded

    def enter_in_error(self, stamp: Stamp, entry_id: UUID, reason: str) -> CheckInEnteredInError:
        """Mark an entry recorded in error: it stays recorded and stops counting. Only an
        entry of this client's, not marked already, by a role that may record that entry.
        A refusal names the entry by the id the caller gave (its own or its event's)."""
        actor = authorize(stamp.actor, Action.ENTER_CHECK_IN_IN_ERROR)
        unknown = NotFound(
            "entryId",
            "unknown-entry",
            f"the client has no check-in, instrument, drug screen or vital signs {entry_id}",
        )
        found = self.entries.get(entry_id)
        if found is None:
            raise unknown
        recorders = found.recorders()
        if actor.role not in recorders:
            # Who may correct it is said only to those who see it: a peer supporter is told
            # of vital signs or a screen (MEDICATION kind) what an unknown id is told.
            refuse_unseen(actor, found.kind, unknown)
            roles = ", ".join(
                sorted(r.value for r in recorders & MAY_RECORD[Action.ENTER_CHECK_IN_IN_ERROR])
            )
            raise Forbidden(
                "entryId",
                "role-may-record",
                f"entry {entry_id} is corrected by one of: {roles}",
            )
        if found.entry_id in self.in_error:
            raise RuleViolation(
                "entryId",
                "already-in-error",
                f"entry {entry_id} was already marked entered in error"
                f" {self.in_error[found.entry_id].note(stamp.zone)}",
            )
        why = said(reason)
        if not why:
            raise InvalidInput(
                "reason", "reason-required", "say why the entry is in error (wrong client, ...)"
            )
        event = stamp.event(
            CheckInEnteredInError,
            self.client_id,
            None,
            entry=found.entry,
            entry_id=found.entry_id,
            entry_event_id=found.event_id,
            instrument=found.instrument,
            reason=why,
        )
        self.record(event)
        return event

    def record_check_in(
        self, stamp: Stamp, checkin_id: UUID, given: CheckIn, occurred_at: datetime | None
    ) -> CheckInRecorded:
        self._require_reporter(stamp)
        if _cleaned(given.substances) and not given.substance_use:
            raise InvalidInput(
                "substances",
                "substances-without-use",
                "substances are named only when use is reported (substanceUse: true)",
            )
        if given.empty():
            raise InvalidInput(
                "input",
                "empty-check-in",
                "a check-in needs at least one of craving, mood, sleep, side effects,"
                " substance use or a note",
            )
        event = stamp.event(
            CheckInRecorded,
            self.client_id,
            occurred_at,
            checkin_id=checkin_id,
            source=source_of(stamp),
            craving=given.craving,
            mood=given.mood,
            sleep_hours=given.sleep_hours,
            sleep_quality=given.sleep_quality,
            side_effects=_cleaned(given.side_effects),
            substance_use=given.substance_use,
            substances=_cleaned(given.substances),
            note=said(given.note),
        )
        self.record(event)
        return event

    def score_instrument(
        self,
        stamp: Stamp,
        assessment_id: UUID,
        spec: InstrumentSpec,
        answers: Mapping[str, int],
        occurred_at: datetime | None,
    ) -> InstrumentScored:
        self._require_reporter(stamp)
        if spec.clinician_rated and stamp.actor.role in SOURCE_BY_ROLE:
            raise Forbidden(
                "instrument",
                "clinician-rated",
                f"{spec.instrument.value} is clinician-rated: a nurse, prescriber or therapist"
                " records it",
            )
        scored = score(spec, answers)
        event = stamp.event(
            InstrumentScored,
            self.client_id,
            occurred_at,
            assessment_id=assessment_id,
            instrument=spec.instrument,
            source=source_of(stamp),
            banded_on=spec.banded_on,
            scoring_version=spec.version,
            **asdict(scored),
        )
        self.record(event)
        return event

    def record_drug_screen(
        self,
        stamp: Stamp,
        screen_id: UUID,
        method: ScreenMethod,
        results: Mapping[str, AnalyteFinding],
        occurred_at: datetime | None,
        confirms: UUID | None = None,
    ) -> DrugScreenResulted:
        """``results`` is keyed by the analyte name as given, for errors that name it;
        ``confirms`` names the presumptive screen a definitive one tested the specimen of
        (its id or its event's), and its collection time is that screen's."""
        confirmed = None
        if confirms is not None:
            found = self.entries.get(confirms)
            screen = None if found is None else self.screens.get(found.entry_id)
            confirmed = confirmation_of(
                screen, confirms, method, occurred_at, self.screens.values(), self.in_error
            )
        if not results:
            raise InvalidInput(
                "results", "no-results", "a drug screen reports at least one analyte"
            )
        names = [analyte(given, f"results.{n}.analyte") for n, given in enumerate(results)]
        given_once(
            names,
            "results",
            "analyte",
            "duplicate-analyte",
            lambda name: f"{name} is reported twice",
        )
        findings = {
            name: finding.model_copy(update={"analyte": name})
            for name, finding in zip(names, results.values(), strict=True)
        }
        event = stamp.event(
            DrugScreenResulted,
            self.client_id,
            occurred_at if confirmed is None else confirmed.collected_at,
            screen_id=screen_id,
            method=method,
            results=tuple(findings.values()),
            confirms=None if confirmed is None else confirmed.screen_id,
        )
        self.record(event)
        return event

    def record_vital_signs(
        self, stamp: Stamp, vitals_id: UUID, vitals: Vitals, occurred_at: datetime | None
    ) -> VitalSignsRecorded:
        measures = {k: getattr(vitals, k) for k in Vitals.__slots__}
        if all(v is None for v in measures.values()):
            raise InvalidInput(
                "input",
                "no-vital-signs",
                "give at least one vital sign, QTc or creatinine clearance",
            )
        if (vitals.systolic_mmhg is None) != (vitals.diastolic_mmhg is None):
            raise InvalidInput(
                "diastolicMmhg",
                "blood-pressure-pair",
                "blood pressure needs both systolic and diastolic",
            )
        if (
            vitals.systolic_mmhg is not None
            and vitals.diastolic_mmhg is not None
            and vitals.diastolic_mmhg >= vitals.systolic_mmhg
        ):
            raise InvalidInput(
                "diastolicMmhg",
                "diastolic-below-systolic",
                f"a diastolic of {vitals.diastolic_mmhg} mmHg is not below the systolic of"
                f" {vitals.systolic_mmhg} mmHg; were the two swapped?",
            )
        event = stamp.event(
            VitalSignsRecorded, self.client_id, occurred_at, vitals_id=vitals_id, **measures
        )
        self.record(event)
        return event

    def _require_reporter(self, stamp: Stamp) -> None:
        """A client reports only about themself."""
        actor = stamp.actor
        if actor.role is Role.CLIENT and actor.id != str(self.client_id):
            raise Forbidden(
                "clientId", "own-record-only", "a client records check-ins only about themself"
            )


def source_of(stamp: Stamp) -> ReportSource:
    return SOURCE_BY_ROLE.get(stamp.actor.role, ReportSource.CLINICIAN)


def _cleaned(values: tuple[str, ...]) -> tuple[str, ...]:
    """Each value trimmed, once whatever its case, as first spelt ("alcohol" and "ALCOHOL"
    are one substance, and an alert named both); one that shows nothing is none."""
    kept: dict[str, str] = {}
    for value in map(said, values):
        if value:
            kept.setdefault(value.casefold(), value)
    return tuple(kept.values())
