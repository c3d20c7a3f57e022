"""A creatinine clearance of 30 mL/min or less recorded for a client already on acamprosate
raises the high alert crcl-acamprosate-severe (the Campral label contraindicates it there):
the prescribing rule judges only an order being written, so a clearance that falls after the
order told no one. As the QTc rows, only the latest clearance measured counts, and one in
error lets the clearance measured before it stand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alert_story import Story
from pydantic import ValidationError

from carecoord.events.medication import Severity
from carecoord.services.alerts.program import AlertSection, RuleChange

ROW = "crcl-acamprosate-severe"


@pytest.mark.parametrize(("ml_min", "fired"), [(31, []), (30, [ROW]), (12, [ROW])])
def test_a_clearance_of_30_or_less_on_acamprosate(ml_min: int, fired: list[str]) -> None:
    story = Story()
    story.prescribe("acamprosate")
    story.vitals(creatinine_clearance_ml_min=ml_min)

    assert story.fired() == fired
    for alert in story.alerts():
        assert (alert.severity, alert.detail) == (
            Severity.HIGH,
            f"creatinine clearance {ml_min} mL/min on acamprosate",
        )


def test_no_alert_without_acamprosate_or_for_a_clearance_measured_before_the_latest() -> None:
    story = Story()
    story.vitals(creatinine_clearance_ml_min=20)
    assert story.fired() == [], "no acamprosate"
    story.prescribe("acamprosate")
    story.later(days=3)
    story.vitals(creatinine_clearance_ml_min=60)
    wrong = story.now
    story.vitals(creatinine_clearance_ml_min=25, at=wrong - timedelta(days=2))
    assert story.fired() == [], "the 60 measured after it stands"


def test_a_clearance_in_error_lets_the_one_measured_before_it_raise_its_alert() -> None:
    story = Story()
    story.prescribe("acamprosate")
    story.later(days=3)
    wrong = story.vitals(creatinine_clearance_ml_min=60)
    low = story.vitals(creatinine_clearance_ml_min=25, at=story.now - timedelta(days=2))
    assert story.fired() == []

    story.mark_in_error(wrong, "the wrong client's result")

    [alert] = story.alerts()
    assert (alert.rule_id, alert.evidence) == (ROW, (low,))


MODERATE = "crcl-acamprosate-moderate"


@pytest.mark.parametrize(
    ("ml_min", "daily", "fired"),
    [
        (45, 1998, [MODERATE]),
        (50, 1332, [MODERATE]),
        (51, 1998, []),
        (45, 999, []),
        (31, 666, []),
        (30, 1998, [ROW]),
    ],
)
def test_a_clearance_of_31_to_50_on_acamprosate_above_999_mg_a_day(
    ml_min: int, daily: int, fired: list[str]
) -> None:
    """The label's moderate band: 333 mg three times a day at most. A clearance that falls
    there after the order was written told no one, as the severe band did before its row."""
    story = Story()
    story.prescribe("acamprosate", dose=Decimal(daily))
    story.vitals(creatinine_clearance_ml_min=ml_min)

    assert story.fired() == fired
    if fired == [MODERATE]:
        [alert] = story.alerts()
        assert (alert.severity, alert.detail) == (
            Severity.MODERATE,
            f"creatinine clearance {ml_min} mL/min on acamprosate {daily} mg a day",
        )


def test_the_moderate_row_reads_the_clearance_standing_after_a_correction() -> None:
    story = Story()
    story.prescribe("acamprosate", dose=Decimal(1998))
    story.later(days=3)
    wrong = story.vitals(creatinine_clearance_ml_min=90)
    low = story.vitals(creatinine_clearance_ml_min=40, at=story.now - timedelta(days=2))
    assert story.fired() == [], "the 90 measured after it stands"

    story.mark_in_error(wrong, "the wrong client's result")

    [alert] = story.alerts()
    assert (alert.rule_id, alert.evidence) == (MODERATE, (low,))


def test_a_program_cannot_leave_clearances_to_two_rows_or_to_none() -> None:
    source = "Medical director, 2026-02-01"
    overlap = {"crcl-acamprosate-severe": RuleChange(threshold=35)}
    with pytest.raises(ValidationError, match="overlap: both would fire for 31"):
        AlertSection(source=source, rules=overlap)
    alone = {"crcl-acamprosate-severe": RuleChange(disabled=True)}
    with pytest.raises(ValidationError, match="a clearance of 30 would raise nothing"):
        AlertSection(source=source, rules=alone)
    moved = AlertSection(
        source=source,
        rules={
            "crcl-acamprosate-severe": RuleChange(threshold=35),
            MODERATE: RuleChange(above=35, severity=Severity.HIGH),
        },
    )
    rule = moved.table.rule(MODERATE)
    assert rule is not None
    assert (rule.above, rule.severity) == (35, Severity.HIGH)
