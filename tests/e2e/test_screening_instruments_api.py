"""AUDIT, DAST-10, a GAD-7 with its difficulty item and a PHQ-9 with item 9 unanswered are
recorded through the API: scored and banded by the platform, shown in the series and the
timeline, their alerts raised; an unknown item or an answer off its scale is refused naming
the field and records nothing."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import NURSE, TIMELINE, Clinic, mutation

from carecoord.events import Role
from support import Api

SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
SERIES = """query($id: UUID!, $atLeast: Seq) {
  checkInSeries(clientId: $id, atLeast: $atLeast) { measure value band prorated } }"""
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId detail } }"""


def answers(**given: int) -> list[dict[str, Any]]:
    return [{"item": item.removeprefix("i"), "value": value} for item, value in given.items()]


async def read(clinic: Clinic, query: str) -> Any:
    data = await clinic.api.ok(
        query, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE, user=NURSE
    )
    [result] = data.values()
    return result


@pytest.mark.shared_platform
async def test_screening_instruments_are_scored_banded_shown_and_alerted(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Avery T.")
    audit = answers(i1=4, i2=3, i3=3, i4=2, i5=2, i6=1, i7=2, i8=1, i9=0, i10=4)
    await clinic.nurse(SCORE, instrument="AUDIT", answers=audit)
    dast = answers(i1=1, i2=1, i3=0, i4=1, i5=1, i6=1, i7=1, i8=1, i9=1, i10=1)
    await clinic.nurse(SCORE, instrument="DAST10", answers=dast)
    gad7 = answers(i1=2, i2=2, i3=1, i4=1, i5=0, i6=1, i7=0, i8=2)
    await clinic.nurse(SCORE, instrument="GAD7", answers=gad7)
    phq9 = answers(i1=1, i2=1, i3=1, i4=1, i5=0, i6=0, i7=0, i8=0)
    await clinic.nurse(SCORE, instrument="PHQ9", answers=phq9)

    series = {
        p["measure"]: (p["value"], p["band"], p["prorated"]) for p in await read(clinic, SERIES)
    }
    assert series == {
        "AUDIT": ("22", "zone IV: possible dependence", False),
        "DAST-10": ("10", "severe", False),
        "GAD-7": ("7", "mild", False),
        "PHQ-9": ("5", "mild", True),  # 4 over eight items: 4.5 of nine
    }
    timeline = (await read(clinic, TIMELINE))["nodes"]
    summaries = [n["summary"] for n in timeline if n["type"] == "checkins.InstrumentScored"]
    assert summaries == [
        "AUDIT: 22 (zone IV: possible dependence)",
        "DAST-10: 10 (severe)",
        "GAD-7: 7 (mild)",
        "PHQ-9: 5 (mild; prorated, item 9 unanswered)",
    ]
    alerts = {a["ruleId"]: a["detail"] for a in await read(clinic, ALERTS)}
    assert alerts == {
        "audit-zone-iv": "AUDIT total 22 (zone IV: possible dependence)",
        "dast10-severe": "DAST-10 total 10 (severe)",
        "phq9-item9-unanswered": "PHQ-9 item 9 unanswered; total 5 prorated (mild)",
    }


@pytest.mark.shared_platform
@pytest.mark.parametrize(
    ("instrument", "given", "field", "rule"),
    [
        ("AUDIT", {"i9": 3}, "answers.8.value", "answer-out-of-range"),
        ("AUDIT", {"i11": 0}, "answers.10.item", "unknown-item"),
        ("DAST10", {"i3": 2}, "answers.2.value", "answer-out-of-range"),
        ("GAD7", {"i8": 4}, "answers.7.value", "answer-out-of-range"),
        ("PHQ9", {}, "answers", "instrument-incomplete"),
    ],
)
async def test_bad_answers_are_refused_naming_the_field_and_record_nothing(
    api: Api, instrument: str, given: dict[str, int], field: str, rule: str
) -> None:
    clinic = await Clinic.enroll(api, "Blake U.")
    items = 6 if instrument == "PHQ9" else 10 if instrument != "GAD7" else 7
    base = {f"i{n}": 0 for n in range(1, items + 1)}
    refused = await clinic.refused(SCORE, instrument=instrument, answers=answers(**(base | given)))
    assert (refused["code"], refused["field"], refused["rule"]) == (
        "BAD_USER_INPUT",
        field,
        rule,
    )
    assert await read(clinic, SERIES) == []
