"""Check-ins, instruments, drug screens and vital signs through the API, and the series view.

Scores are never accepted from the caller: an instrument is sent as item-level answers and
the platform computes and records the score (read it back from ``checkInSeries`` or the
timeline). Any alert the report raises is recorded with it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import strawberry
from pydantic import ValidationError

from carecoord.events import Kind
from carecoord.events.amounts import CONCENTRATION_MAX
from carecoord.events.checkins import (
    AnalyteFinding,
    AnalyteResult,
    Instrument,
    ReportSource,
    ScreenMethod,
)
from carecoord.graphql import log_pages, periods
from carecoord.graphql.context import RequestContext, own_kinds
from carecoord.graphql.declared import (
    alerting_mutation,
    built,
    client_query,
    into,
)
from carecoord.graphql.seqs import Seq
from carecoord.graphql.whole_ranges import at_most_rows
from carecoord.projections import checkins as series
from carecoord.services.checkins import commands
from carecoord.services.checkins.instruments import INSTRUMENTS, quoted
from carecoord.services.checkins.record import CheckIn, Vitals
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.given_once import given_once
from carecoord.services.kernel.policy import Grant
from carecoord.services.kernel.stamp import invalid_input

strawberry.enum(Instrument, description="A standard instrument scored from its items.")
strawberry.enum(ReportSource, description="Who gave the answers.")
strawberry.enum(ScreenMethod, description="Presumptive (immunoassay) or definitive (lab).")
strawberry.enum(AnalyteResult)


@strawberry.input(description="A check-in; give at least one measure.")
class RecordCheckInInput:
    client_id: UUID
    craving: int | None = strawberry.field(default=None, description="0-100 (VAS, mm).")
    mood: int | None = strawberry.field(default=None, description="0 worst to 10 best.")
    sleep_hours: Decimal | None = None
    sleep_quality: int | None = strawberry.field(default=None, description="0-10.")
    side_effects: list[str] = strawberry.field(default_factory=list)
    substance_use: bool | None = strawberry.field(
        default=None, description="Any use since the last check-in."
    )
    substances: list[str] = strawberry.field(default_factory=list)
    note: str = ""
    occurred_at: datetime | None = None


@strawberry.input
class AnswerInput:
    item: str = strawberry.field(description="Item id, e.g. `9` (PHQ-9) or `resting_pulse`.")
    value: int


@strawberry.input(description="Item-level answers; the platform computes the score.")
class ScoreInstrumentInput:
    client_id: UUID
    instrument: Instrument
    answers: list[AnswerInput]
    occurred_at: datetime | None = None


@strawberry.input
class AnalyteInput:
    analyte: str
    result: AnalyteResult
    cutoff_ng_ml: Decimal | None = None


@strawberry.input(description="A urine drug screen's results, per analyte.")
class RecordDrugScreenInput:
    client_id: UUID
    method: ScreenMethod
    results: list[AnalyteInput]
    collected_at: datetime | None = None
    confirms: UUID | None = strawberry.field(
        default=None,
        description="A definitive result of a presumptive screen's specimen: that screen's"
        " `screenId` (or `id`). Its results replace that screen's for the analytes it reports"
        " (an opioid named stands for `opiates`); `collectedAt` is that screen's.",
    )


@strawberry.input(description="Vital signs, QTc and creatinine clearance; give at least one.")
class RecordVitalSignsInput:
    client_id: UUID
    qtc_ms: int | None = None
    pulse_bpm: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    respiratory_rate: int | None = None
    spo2_percent: int | None = None
    creatinine_clearance_ml_min: int | None = strawberry.field(
        default=None,
        description="Creatinine clearance in mL/min (1-250) by Cockcroft-Gault; the one"
        " measured last is what acamprosate's renal rule is judged on.",
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When they were measured; now if not given."
    )


@strawberry.type(description="One measure from one report.")
class SeriesPoint:
    measure: str = strawberry.field(description="`craving`, `mood`, `PHQ-9`, `BAM use`, ...")
    value: Decimal
    band: str = strawberry.field(description="The instrument's band for this score, if any.")
    prorated: bool = strawberry.field(
        description="The total is prorated from the items answered: a PHQ-9 with one or two"
        " unanswered (the timeline names them)."
    )
    source: ReportSource
    occurred_at: datetime
    event_id: UUID
    position: Seq
    entered_in_error: bool = strawberry.field(
        description="The check-in or instrument was marked entered in error: kept, counted"
        " nowhere (`markCheckInEnteredInError`)."
    )

    @classmethod
    def of(cls, row: series.Measured) -> SeriesPoint:
        return into(cls, row, source=ReportSource(row["source"]))


def answers_of(given: ScoreInstrumentInput) -> dict[str, int]:
    """The answers by item; an item answered twice is refused naming the second answer."""
    given_once(
        (answer.item for answer in given.answers),
        "answers",
        "item",
        "duplicate-item",
        lambda item: f"item {quoted(item)} is answered twice",
    )
    return {answer.item: answer.value for answer in given.answers}


CUTOFF_MAX_NG_ML = CONCENTRATION_MAX
"""A cutoff past this is a unit typed wrong (999,999,999 was recorded as given and shown to
every reader): refused here under its own rule, before the event's type would refuse it."""


def findings_of(given: RecordDrugScreenInput) -> dict[str, AnalyteFinding]:
    """Results keyed by the analyte as given (the record names it from the panel)."""
    given_once(
        (result.analyte for result in given.results),
        "results",
        "analyte",
        "duplicate-analyte",
        lambda analyte: f"{analyte} is reported twice",
    )
    findings: dict[str, AnalyteFinding] = {}
    for n, result in enumerate(given.results):
        if result.cutoff_ng_ml is not None and result.cutoff_ng_ml > CUTOFF_MAX_NG_ML:
            raise InvalidInput(
                f"results.{n}.cutoffNgMl",
                "cutoff-implausible",
                f"a cutoff above {CUTOFF_MAX_NG_ML} ng/mL is no screen's (they run from about 1"
                " to 2,000 ng/mL): check the unit",
            )
        try:
            findings[result.analyte] = AnalyteFinding(
                analyte=result.analyte or "?",
                result=result.result,
                cutoff_ng_ml=result.cutoff_ng_ml,
            )
        except ValidationError as invalid:
            raise invalid_input(invalid, prefix=f"results.{n}") from None
    return findings


@strawberry.input(
    description="A check-in, instrument, drug screen or vital signs recorded in error (wrong"
    " client, a mistyped item, a result typed wrong): it stays recorded and counts nowhere."
)
class CheckInInErrorInput:
    client_id: UUID
    entry_id: UUID = strawberry.field(
        description="The entry: the `id` its record mutation answered (its event, `eventId`"
        " in `checkInSeries` and the timeline) or its own id (`checkinId`, `assessmentId`,"
        " `screenId`, `vitalsId`)."
    )
    reason: str = strawberry.field(description="Why: wrong client, item 9 mistyped, ...")


MEASURED = ("client_id", "occurred_at")
"""The input fields a command taking the measures as one value still takes as they are."""


@strawberry.type
class CheckInMutation:
    record_check_in = alerting_mutation(
        "Record a check-in (clients: about themselves only).",
        Action.RECORD_CHECK_IN,
        commands.record_check_in,
        RecordCheckInInput,
        fields=MEASURED,
        check_in=built(
            CheckIn,
            side_effects=lambda given: tuple(given.side_effects),
            substances=lambda given: tuple(given.substances),
        ),
    )
    score_instrument = alerting_mutation(
        "Record a PHQ-9, GAD-7, COWS, SOWS, CIWA-Ar, BAM, AUDIT or DAST-10 from its items; a"
        " PHQ-9 with one or two items unanswered is scored prorated (its total the mean of those"
        " answered times nine), more are refused.",
        Action.SCORE_INSTRUMENT,
        commands.score_instrument,
        ScoreInstrumentInput,
        answers=answers_of,
    )
    record_drug_screen = alerting_mutation(
        "Record a urine drug screen's results.",
        Action.RECORD_DRUG_SCREEN,
        commands.record_drug_screen,
        RecordDrugScreenInput,
        fields=("client_id", "method", "confirms"),
        results=findings_of,
        occurred_at=lambda given: given.collected_at,
    )
    record_vital_signs = alerting_mutation(
        "Record vital signs and QTc.",
        Action.RECORD_VITAL_SIGNS,
        commands.record_vital_signs,
        RecordVitalSignsInput,
        fields=MEASURED,
        vitals=built(Vitals),
    )
    mark_check_in_entered_in_error = alerting_mutation(
        "Mark a check-in, instrument, drug screen or vital signs entered in error; its record"
        " stays, and it counts in no series, last check-in or latest QTc. Those on the care"
        " team who may record the entry may mark it.",
        Action.ENTER_CHECK_IN_IN_ERROR,
        commands.mark_entered_in_error,
        CheckInInErrorInput,
    )


MEASURES = (
    *series.CHECK_IN_MEASURES,
    *(spec.instrument.value for spec in INSTRUMENTS.values() if spec.has_total),
    *(f"{spec.instrument.value} {sub}" for spec in INSTRUMENTS.values() for sub in spec.subscales),
)
"""The measures a series holds: a name not among them (``PHQ9``, the instrument's GraphQL
name, for ``PHQ-9``) was answered with no points, read as a measure never taken."""


def series_asked(
    measures: list[str] | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> None:
    """The series' ``checks``: its period, and each measure one it holds."""
    periods.occurred(occurred_from, occurred_to)
    known_measures(measures or [])


def known_measures(measures: list[str]) -> None:
    """Refuse a measure the series holds none of, naming its place (``measures.N``)."""
    for n, measure in enumerate(measures):
        if measure not in MEASURES:
            raise InvalidInput(
                f"measures.{n}",
                "unknown-measure",
                f"no measure {quoted(measure)}; measures: {', '.join(MEASURES)}",
            )


async def measured(
    ctx: RequestContext,
    client_id: UUID,
    grant: Grant,
    measures: Annotated[
        list[str] | None,
        strawberry.argument(
            description=f"Only these measures, of {', '.join(MEASURES)}; another is refused"
            " (unknown-measure)."
        ),
    ] = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> list[series.Measured]:
    found = await series.client_series(
        ctx.platform.reads,
        client_id,
        ctx.shown(grant),
        measures or (),
        occurred_from,
        occurred_to,
        limit=log_pages.MAX_ROWS + 1,
    )
    return at_most_rows(found, ("occurredFrom", "occurredTo"))


@strawberry.type
class CheckInQuery:
    check_in_series = client_query(
        "A client's check-in and instrument scores over time (occurredFrom, before"
        f" occurredTo), whole: at most {log_pages.MAX_ROWS} points, refused past that.",
        series.NAME,
        measured,
        SeriesPoint.of,
        needs=Kind.CHECK_IN,
        kinds=own_kinds,
        checks=series_asked,
    )
