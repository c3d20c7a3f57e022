"""Methadone is judged on the latest QTc on its own, not only beside a second QT-prolonging
drug (domain.md section 2.1, Krantz 2009): prescribing or increasing it with a QTc of 451-499
ms is a moderate finding (discuss risk and benefit, monitor), with 500 ms or more a high one
that needs the prescriber's acknowledgement (consider reducing or stopping). Reducing or
tapering it, the advice itself, is never held up."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from medication_story import Story, day

from carecoord.events.medication import (
    InteractionFound,
    QtcEvidence,
    Severity,
)
from carecoord.services.kernel.errors import RuleViolation

QTC_RULE = "methadone-qtc-prolonged"
MEASURED = datetime(2025, 12, 30, 9, tzinfo=UTC)


def with_qtc(qtc_ms: int | None) -> Story:
    story = Story()
    if qtc_ms is not None:
        story.qtc = QtcEvidence(vitals_id=uuid4(), qtc_ms=qtc_ms, measured_at=MEASURED)
    return story


def qtc_findings(story: Story) -> list[InteractionFound]:
    return [f for f in story.events(InteractionFound) if f.rule_id == QTC_RULE]


def test_methadone_with_a_qtc_of_500_or_more_needs_an_acknowledgement() -> None:
    story = with_qtc(510)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("methadone")

    assert (refused.value.field, refused.value.rule) == ("acknowledgements", QTC_RULE)
    assert "QTc 510 ms (500 or more): consider reducing or stopping methadone" in (
        refused.value.message
    )
    assert not story.record.pending
    order = story.prescribe("methadone", ack={QTC_RULE: "cardiology agrees; ECG weekly"})
    [found] = qtc_findings(story)
    assert (found.severity, found.rule_version) == (Severity.HIGH, "1")
    assert [(i.id, i.medication) for i in found.implicated] == [(order, "methadone")]
    assert found.qtc is not None
    assert (found.qtc.qtc_ms, found.qtc.measured_at) == (510, MEASURED)
    assert found.acknowledged_reason == "cardiology agrees; ECG weekly"
    assert found.exposure is None
    [override] = story.overrides()
    assert (override.rule_id, override.order_id, override.finding_id) == (
        QTC_RULE,
        order,
        found.finding_id,
    )


def test_methadone_with_a_qtc_of_451_to_499_is_a_moderate_finding() -> None:
    story = with_qtc(470)

    story.prescribe("methadone")  # no acknowledgement needed

    [found] = qtc_findings(story)
    assert found.severity is Severity.MODERATE
    assert "QTc 470 ms (451-499): discuss risk and benefit" in found.title
    assert found.title.startswith("methadone: ")


@pytest.mark.parametrize("qtc_ms", [None, 430, 450])
def test_no_finding_for_methadone_under_451_or_without_a_qtc(qtc_ms: int | None) -> None:
    story = with_qtc(qtc_ms)

    story.prescribe("methadone")

    assert qtc_findings(story) == []


def test_an_increase_is_judged_again_and_a_reduction_or_taper_is_not() -> None:
    story = with_qtc(None)
    order = story.prescribe("methadone", "80")
    story.qtc = QtcEvidence(vitals_id=uuid4(), qtc_ms=520, measured_at=MEASURED)
    story.on(day(2))

    with pytest.raises(RuleViolation) as refused:
        story.change(order, "90", day(2))
    assert refused.value.rule == QTC_RULE
    lower = story.change(order, "60", day(2))
    story.on(day(3))
    story.taper(lower, [(day(3), "50"), (day(10), "40")])

    assert qtc_findings(story) == []


def test_a_raise_inside_a_taper_is_an_increase() -> None:
    story = with_qtc(None)
    order = story.prescribe("methadone", "60")
    story.qtc = QtcEvidence(vitals_id=uuid4(), qtc_ms=480, measured_at=MEASURED)
    story.on(day(2))

    taper = story.taper(order, [(day(2), "50"), (day(16), "70")])  # past the titration window

    [found] = qtc_findings(story)
    assert [i.id for i in found.implicated] == [taper]
    assert found.severity is Severity.MODERATE


def test_other_medications_are_not_judged_on_the_qtc_alone() -> None:
    story = with_qtc(520)

    story.prescribe("buprenorphine", "8", route="sublingual")

    assert qtc_findings(story) == []
