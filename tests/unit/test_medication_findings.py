"""Findings that depend on more than the pair: the QTc behind the methadone QT rule, and
acknowledgements asked again when a dose change writes a new order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from medication_story import Story

from carecoord.events.medication import InteractionFound, QtcEvidence, Severity
from carecoord.services.kernel.errors import RuleViolation

QT_RULE = "methadone-qt-prolonging"
MEASURED = datetime(2025, 12, 30, 9, tzinfo=UTC)


def on_methadone(qtc_ms: int | None = None) -> Story:
    """A client on methadone whose latest QTc on record, measured since methadone was
    prescribed, is ``qtc_ms`` (none when not given)."""
    story = Story()
    story.prescribe("methadone")
    if qtc_ms is not None:
        story.qtc = QtcEvidence(vitals_id=uuid4(), qtc_ms=qtc_ms, measured_at=MEASURED)
    return story


def qt_finding(story: Story) -> InteractionFound:
    [found] = [
        r.event
        for r in story.record.pending
        if isinstance(r.event, InteractionFound) and r.event.rule_id == QT_RULE
    ]
    return found


def test_qtc_500_or_more_makes_methadone_with_a_qt_drug_high_and_records_the_qtc() -> None:
    story = on_methadone(510)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("escitalopram", "10")
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", QT_RULE)
    assert "QTc 510 ms (500 or more)" in refused.value.message

    story.prescribe("escitalopram", "10", ack={QT_RULE: "cardiology agrees; ECG weekly"})

    found = qt_finding(story)
    assert found.severity is Severity.HIGH
    assert found.qtc is not None
    assert (found.qtc.qtc_ms, found.qtc.measured_at) == (510, MEASURED)
    assert (found.rule_version, found.acknowledged_reason) == ("2", "cardiology agrees; ECG weekly")


@pytest.mark.parametrize(("ms", "advice"), [(430, "under 451"), (470, "451-499")])
def test_a_qtc_under_500_makes_it_moderate_with_the_band_advice(ms: int, advice: str) -> None:
    story = on_methadone(ms)
    story.prescribe("escitalopram", "10")  # no acknowledgement needed

    found = qt_finding(story)
    assert found.severity is Severity.MODERATE
    assert found.qtc is not None
    assert found.qtc.qtc_ms == ms
    assert f"QTc {ms} ms ({advice})" in found.title


def test_with_no_qtc_on_record_the_rule_stays_high_and_asks_for_an_ecg() -> None:
    story = on_methadone()
    story.prescribe("citalopram", "20", ack={QT_RULE: "ECG booked for Monday"})

    found = qt_finding(story)
    assert found.severity is Severity.HIGH
    assert found.qtc is None
    assert "no QTc on record: obtain an ECG" in found.title


def test_a_rule_without_qtc_bands_ignores_the_qtc() -> None:
    story = on_methadone(430)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("lorazepam", "1")
    assert refused.value.rule == "opioid-cns-depressant"


def test_a_dose_change_asks_again_for_every_high_finding_on_the_new_order() -> None:
    story = Story()
    methadone = story.prescribe("methadone")
    story.prescribe("lorazepam", "1", ack={"opioid-cns-depressant": "long-term, tapering"})

    with pytest.raises(RuleViolation) as refused:
        story.change(methadone, "70", date(2026, 1, 2))
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        "opioid-cns-depressant",
    )
    before = len(story.record.pending)

    new_order = story.change(
        methadone, "70", date(2026, 1, 2), ack={"opioid-cns-depressant": "taper plan reviewed"}
    )

    findings = [
        r.event
        for r in story.record.pending[before:]
        if isinstance(r.event, InteractionFound) and r.event.rule_id == "opioid-cns-depressant"
    ]
    assert len(findings) == 1
    assert new_order in {i.id for i in findings[0].implicated}
    assert findings[0].acknowledged_reason == "taper plan reviewed"
