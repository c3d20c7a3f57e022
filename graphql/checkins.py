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
from strawberry.types import Info

from carecoord.events.checkins import (
    AnalyteFinding,
    AnalyteResult,
    Instrument,
    ReportSource,
    ScreenMethod,
)
from carecoord.graphql.care import Recorded, recorded
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import checkins as series
from carecoord.projections.rows import Shown
from carecoord.services.checkins import commands
from carecoord.services.checkins.record import CheckIn, Vitals
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput
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


@strawberry.input(description="Vital signs and QTc; give at least one.")
class RecordVitalSignsInput:
    client_id: UUID
    qtc_ms: int | None = None
    pulse_bpm: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    respiratory_rate: int | None = None
    spo2_percent: int | None = None
    occurred_at: datetime | None = None


@strawberry.type(description="One measure from one report.")
class SeriesPoint:
    measure: str = strawberry.field(description="`craving`, `mood`, `PHQ-9`, `BAM use`, ...")
    value: Decimal
    band: str = strawberry.field(description="The instrument's band for this score, if any.")
    source: ReportSource
    occurred_at: datetime
    event_id: UUID
    position: int

    @classmethod
    def of(cls, row: series.Measured) -> SeriesPoint:
        return cls(
            measure=row["measure"],
            value=row["value"],
            band=row["band"],
            source=ReportSource(row["source"]),
            occurred_at=row["occurred_at"],
            event_id=row["event_id"],
            position=row["position"],
        )


def answers_of(given: list[AnswerInput]) -> dict[str, int]:
    answers: dict[str, int] = {}
    for answer in given:
        if answer.item in answers:
            raise InvalidInput(
                f"answers.{answer.item}", "duplicate-item", f"item {answer.item} is answered twice"
            )
        answers[answer.item] = answer.value
    return answers


def findings_of(given: list[AnalyteInput]) -> dict[str, AnalyteFinding]:
    """Results keyed by the analyte as given (the record names it from the panel)."""
    findings: dict[str, AnalyteFinding] = {}
    for n, result in enumerate(given):
        if result.analyte in findings:
            raise InvalidInput(
                f"results.{n}.analyte", "duplicate-analyte", f"{result.analyte} is reported twice"
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


@strawberry.type
class CheckInMutation:
    @strawberry.mutation(description="Record a check-in (clients: about themselves only).")
    async def record_check_in(
        self, info: Info[RequestContext, None], input: RecordCheckInInput
    ) -> Recorded:
        ctx = info.context
        given = CheckIn(
            craving=input.craving,
            mood=input.mood,
            sleep_hours=input.sleep_hours,
            sleep_quality=input.sleep_quality,
            side_effects=tuple(input.side_effects),
            substance_use=input.substance_use,
            substances=tuple(input.substances),
            note=input.note,
        )
        return await recorded(
            info,
            commands.record_check_in(
                await ctx.gate.stamp(Action.RECORD_CHECK_IN, input.client_id),
                client_id=input.client_id,
                check_in=given,
                occurred_at=input.occurred_at,
                rules=ctx.platform.alert_rules,
            ),
        )

    @strawberry.mutation(description="Record a PHQ-9, GAD-7, COWS, CIWA-Ar or BAM from its items.")
    async def score_instrument(
        self, info: Info[RequestContext, None], input: ScoreInstrumentInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            commands.score_instrument(
                await ctx.gate.stamp(Action.SCORE_INSTRUMENT, input.client_id),
                client_id=input.client_id,
                instrument=input.instrument,
                answers=answers_of(input.answers),
                occurred_at=input.occurred_at,
                rules=ctx.platform.alert_rules,
            ),
        )

    @strawberry.mutation(description="Record a urine drug screen's results.")
    async def record_drug_screen(
        self, info: Info[RequestContext, None], input: RecordDrugScreenInput
    ) -> Recorded:
        ctx = info.context
        results = findings_of(input.results)
        return await recorded(
            info,
            commands.record_drug_screen(
                await ctx.gate.stamp(Action.RECORD_DRUG_SCREEN, input.client_id),
                client_id=input.client_id,
                method=input.method,
                results=results,
                occurred_at=input.collected_at,
                rules=ctx.platform.alert_rules,
            ),
        )

    @strawberry.mutation(description="Record vital signs and QTc.")
    async def record_vital_signs(
        self, info: Info[RequestContext, None], input: RecordVitalSignsInput
    ) -> Recorded:
        ctx = info.context
        vitals = Vitals(
            qtc_ms=input.qtc_ms,
            pulse_bpm=input.pulse_bpm,
            systolic_mmhg=input.systolic_mmhg,
            diastolic_mmhg=input.diastolic_mmhg,
            respiratory_rate=input.respiratory_rate,
            spo2_percent=input.spo2_percent,
        )
        return await recorded(
            info,
            commands.record_vital_signs(
                await ctx.gate.stamp(Action.RECORD_VITAL_SIGNS, input.client_id),
                client_id=input.client_id,
                vitals=vitals,
                occurred_at=input.occurred_at,
                rules=ctx.platform.alert_rules,
            ),
        )


@strawberry.type
class CheckInQuery:
    @strawberry.field(description="A client's check-in and instrument scores over time.")
    async def check_in_series(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        measures: Annotated[
            list[str] | None, strawberry.argument(description="Only these measures.")
        ] = None,
        at_least: AtLeast = None,
    ) -> list[SeriesPoint]:
        ctx = info.context
        grant = await ctx.gate.readable(client_id, operation="checkInSeries", at_least=at_least)
        await ctx.caught_up(series.NAME, at_least)
        rows = await series.client_series(
            ctx.platform.reads, client_id, Shown.of(grant, ctx.reader().id), measures or ()
        )
        await ctx.gate.record_read(
            client_id,
            grant,
            operation="checkInSeries",
            kinds=(r["kind"] for r in rows),
            count=len(rows),
        )
        return [SeriesPoint.of(r) for r in rows]
