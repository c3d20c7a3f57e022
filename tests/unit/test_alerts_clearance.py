"""A creatinine clearance of 30 mL/min or less recorded for a client already on acamprosate
raises the high alert crcl-acamprosate-severe (the Campral label contraindicates it there):
the prescribing rule judges only an order being written, so a clearance that falls after the
order told no one. As the QTc rows, only the latest clearance measured counts, and one in
error lets the clearance measured before it stand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_story import Story

from carecoord.events.medication import Severity

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
