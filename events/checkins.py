"""Facts about how a client is doing between visits: check-ins, scored instruments, urine
drug screens and vital signs.

FHIR mapping: a check-in and an instrument are a QuestionnaireResponse (item-level answers,
``source`` = who reported) with Observations for the scores; a drug screen is a laboratory
Observation per analyte (``method`` presumptive or definitive); vital signs are vital-sign
Observations. Scores are computed by the platform from the answers and recorded with the
scoring version, never taken from the caller.

Drug screens and vital signs are MEDICATION kind: they monitor medication treatment and are
seen by those who see orders, not by everyone who sees check-ins.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from carecoord.events import amounts, catalog
from carecoord.events.envelope import CareEvent, EnteredInError, Kind, Value


class _CheckIns(CareEvent):
    context: ClassVar[str] = "checkins"
    type_kind: ClassVar[Kind] = Kind.CHECK_IN


class _Monitoring(_CheckIns):
    """Results that monitor medication treatment: seen by those who see orders."""

    type_kind: ClassVar[Kind] = Kind.MEDICATION


class ReportSource(StrEnum):
    """Who gave the answers (FHIR QuestionnaireResponse.source)."""

    SELF_REPORT = "self_report"
    PEER_SUPPORTER = "peer_supporter"
    CLINICIAN = "clinician"


class CheckInRecorded(_CheckIns):
    """A between-visit check-in. Every measure is optional; at least one is given."""

    summary_template: ClassVar[str] = "Check-in ({source})"
    free_text: ClassVar[tuple[str, ...]] = ("note", "side_effects", "substances")
    """The side effects and substances are words as the note is: a nurse's may name a dose."""

    checkin_id: UUID
    source: ReportSource
    craving: int | None = Field(default=None, ge=0, le=100)
    """Craving visual analogue scale, mm on a 100 mm line (NIDA CTN)."""
    mood: int | None = Field(default=None, ge=0, le=10)
    """0 worst to 10 best."""
    sleep_hours: amounts.Hours | None = Field(default=None, ge=0, le=24)
    sleep_quality: int | None = Field(default=None, ge=0, le=10)
    side_effects: tuple[str, ...] = ()
    substance_use: bool | None = None
    """Any use since the last check-in; None when not asked."""
    substances: tuple[str, ...] = ()
    note: str = Field(default="", max_length=5000)

    def summary(self) -> str:
        """Every measure the check-in gave, by its value; the side effects by their count
        alone (their words are free text, withheld from readers not shown it)."""
        parts = [f"Check-in ({self.source.value})"]
        if self.craving is not None:
            parts.append(f"craving {self.craving}/100")
        if self.mood is not None:
            parts.append(f"mood {self.mood}/10")
        if self.sleep_hours is not None:
            parts.append(f"sleep {amounts.shown(self.sleep_hours)} h")
        if self.sleep_quality is not None:
            parts.append(f"sleep quality {self.sleep_quality}/10")
        if self.side_effects:
            count = len(self.side_effects)
            parts.append(f"{count} side effect{'' if count == 1 else 's'} reported")
        if self.substance_use:
            parts.append("substance use reported")
        return ", ".join(parts)


class Instrument(StrEnum):
    PHQ9 = "PHQ-9"
    GAD7 = "GAD-7"
    COWS = "COWS"
    CIWA_AR = "CIWA-Ar"
    BAM = "BAM"
    AUDIT = "AUDIT"
    DAST10 = "DAST-10"
    SOWS = "SOWS"


class InstrumentScored(_CheckIns):
    """A standard instrument's item-level answers and the scores computed from them."""

    version: ClassVar[int] = 3
    assessment_id: UUID
    instrument: Instrument
    source: ReportSource
    answers: dict[str, int]
    total: int | None
    """None for instruments without a validated total (BAM)."""
    band: str
    banded_on: str = "total"
    """The score ``band`` reads: ``total`` or a subscale name (BAM bands on ``use``)."""
    subscales: dict[str, int] = Field(default_factory=dict)
    signs: tuple[str, ...] = ()
    """Complicating signs the answers show whatever the total (CIWA-Ar: seizure,
    hallucinations, disorientation); none on events scored before signs existed."""
    unanswered: tuple[str, ...] = ()
    """Scored items left unanswered, the total prorated from those answered (a PHQ-9 with
    one or two missing); none when every item was answered."""
    scoring_version: str

    def summary(self) -> str:
        scores = [] if self.total is None else [str(self.total)]
        scores += [f"{name} {value}" for name, value in self.subscales.items()]
        return f"{self.instrument.value}: {', '.join(scores)} ({'; '.join(self.reading())})"

    def reading(self) -> tuple[str, ...]:
        """How the score reads: its band, any complicating sign, and whether it is prorated."""
        if not self.unanswered:
            return (self.band, *self.signs)
        items = "items" if len(self.unanswered) > 1 else "item"
        return (
            self.band,
            *self.signs,
            f"prorated, {items} {', '.join(self.unanswered)} unanswered",
        )


@catalog.upcaster("checkins.InstrumentScored", from_version=1)
def _scored_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 adds instruments (AUDIT, DAST-10) and ``unanswered``: a version 1 score
    answered every item."""
    return {**data, "unanswered": []}


@catalog.upcaster("checkins.InstrumentScored", from_version=2)
def _scored_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 names one more instrument (SOWS); a version 2 payload reads as it is."""
    return data


class ScreenMethod(StrEnum):
    PRESUMPTIVE = "presumptive"
    DEFINITIVE = "definitive"


class AnalyteResult(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    INCONCLUSIVE = "inconclusive"


class AnalyteFinding(Value):
    analyte: str = Field(min_length=1, max_length=60)
    result: AnalyteResult
    cutoff_ng_ml: amounts.Concentration | None = Field(default=None, ge=0)


class DrugScreenResulted(_Monitoring):
    """A urine drug screen's results; ``occurred_at`` is when the specimen was collected."""

    screen_id: UUID
    method: ScreenMethod
    specimen: str = "urine"
    results: tuple[AnalyteFinding, ...] = Field(min_length=1)
    confirms: UUID | None = None
    """The presumptive screen of the same specimen this definitive one tested again: its
    results replace that screen's for the analytes it reports (``checkins/screens.py``)."""

    def summary(self) -> str:
        """What was found, and what could not be told (an inconclusive result is no negative
        one: it is confirmed or collected again)."""
        found = self._analytes(AnalyteResult.POSITIVE) or "none"
        line = f"Drug screen ({self.method.value}): positive for {found}"
        unread = self._analytes(AnalyteResult.INCONCLUSIVE)
        return f"{line}; inconclusive for {unread}" if unread else line

    def _analytes(self, result: AnalyteResult) -> str:
        return ", ".join(f.analyte for f in self.results if f.result is result)


class VitalSignsRecorded(_Monitoring):
    """Vital signs, ECG intervals and the creatinine clearance; at least one is given.

    ``occurred_at`` is when they were measured: the latest QTc and the latest clearance are
    the ones measured last, which the medication rules read (methadone's QT rules,
    acamprosate's renal rule)."""

    vitals_id: UUID
    qtc_ms: int | None = Field(default=None, ge=250, le=800)
    pulse_bpm: int | None = Field(default=None, ge=20, le=250)
    systolic_mmhg: int | None = Field(default=None, ge=50, le=300)
    diastolic_mmhg: int | None = Field(default=None, ge=20, le=200)
    respiratory_rate: int | None = Field(default=None, ge=2, le=80)
    spo2_percent: int | None = Field(default=None, ge=50, le=100)
    creatinine_clearance_ml_min: int | None = Field(default=None, ge=1, le=250)
    """Creatinine clearance in mL/min, estimated by Cockcroft-Gault as the labels' renal
    thresholds are (LOINC 35591-7)."""

    def summary(self) -> str:
        shown = {
            "QTc": (self.qtc_ms, "ms"),
            "pulse": (self.pulse_bpm, "bpm"),
            "resp": (self.respiratory_rate, "/min"),
            "SpO2": (self.spo2_percent, "%"),
            "CrCl": (self.creatinine_clearance_ml_min, "mL/min"),
        }
        parts = [f"{name} {value} {unit}" for name, (value, unit) in shown.items() if value]
        if self.systolic_mmhg and self.diastolic_mmhg:
            parts.append(f"BP {self.systolic_mmhg}/{self.diastolic_mmhg}")
        return "Vital signs: " + ", ".join(parts)


class Entry(StrEnum):
    """What kind of entry a correction names: the event that recorded it."""

    CHECK_IN = "check_in"
    INSTRUMENT = "instrument"
    DRUG_SCREEN = "drug_screen"
    VITAL_SIGNS = "vital_signs"


ENTRY_NAMES = {
    Entry.CHECK_IN: "Check-in",
    Entry.INSTRUMENT: "Instrument",
    Entry.DRUG_SCREEN: "Drug screen",
    Entry.VITAL_SIGNS: "Vital signs",
}


ENTRY_KINDS = {
    Entry.CHECK_IN: CheckInRecorded.type_kind,
    Entry.INSTRUMENT: InstrumentScored.type_kind,
    Entry.DRUG_SCREEN: DrugScreenResulted.type_kind,
    Entry.VITAL_SIGNS: VitalSignsRecorded.type_kind,
}
"""The kind of each entry: its correction's."""


class CheckInEnteredInError(EnteredInError, _CheckIns):
    """A check-in, instrument, drug screen or vital signs recorded in error (on the wrong
    client, a mistyped item, a result typed as positive): the record stops counting the entry
    (the latest QTc, the craving baseline, the last check-in) and its own record stays.

    ``entry_id`` is the entry's own id (``checkin_id``, ``assessment_id``, ``screen_id`` or
    ``vitals_id``) and ``entry_event_id`` the event that recorded it, which the read models
    key on. Of the kind of the entry it names (``kind``): a check-in's or an instrument's is
    seen and sent wherever the check-in is, a screen's or vital signs' (MEDICATION) not by
    those who see check-ins alone (peer supporters). Its reason is shown by its writer's
    role as any free text is: a nurse's, which may speak of a screen, to no peer supporter.
    """

    version: ClassVar[int] = 3
    summary_text: ClassVar[str] = "reason"

    entry: Entry
    entry_id: UUID
    entry_event_id: UUID
    instrument: Instrument | None = None
    """The instrument, when the entry is one."""

    @property
    def kind(self) -> Kind:
        return ENTRY_KINDS[self.entry]

    def summary(self) -> str:
        name = ENTRY_NAMES[self.entry] if self.instrument is None else self.instrument.value
        return f"{name} entered in error ({self.reason})"


@catalog.upcaster("checkins.CheckInEnteredInError", from_version=1)
def _in_error_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 names more instruments (AUDIT, DAST-10); a version 1 payload reads as it is."""
    return data


@catalog.upcaster("checkins.CheckInEnteredInError", from_version=2)
def _in_error_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 names one more instrument (SOWS); a version 2 payload reads as it is."""
    return data


CHECKIN_EVENTS: tuple[type[CareEvent], ...] = (
    CheckInRecorded,
    InstrumentScored,
    DrugScreenResulted,
    VitalSignsRecorded,
    CheckInEnteredInError,
)
