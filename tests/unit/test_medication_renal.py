"""Acamprosate is judged on the latest creatinine clearance (Campral label, domain.md section
5): with 30 mL/min or less it is contraindicated, a hard stop; with 31-50 mL/min a daily
dose above 333 mg three times a day is a moderate finding asking for the reduction. With no
clearance on record nothing is found, and a reduction is never held up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import NURSE, Story, day

from carecoord.events import Schedule
from carecoord.events.medication import (
    ClearanceEvidence,
    InteractionFound,
    Severity,
    StatementSource,
)
from carecoord.projections.audit.bundle import resources
from carecoord.services.checkins.record import CheckInRecord, Vitals
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import prescribing, statements
from carecoord.services.medication.findings import HardStop
from carecoord.services.medication.monitored import Monitored

SEVERE = "acamprosate-severe-renal-impairment"
MODERATE = "acamprosate-moderate-renal-impairment"
MEASURED = datetime(2025, 12, 30, 9, tzinfo=UTC)
TID = Schedule(times_per_day=3)


def with_clearance(ml_min: int | None) -> Story:
    story = Story()
    if ml_min is not None:
        story.clearance = ClearanceEvidence(vitals_id=uuid4(), ml_min=ml_min, measured_at=MEASURED)
    return story


def renal_findings(story: Story) -> list[InteractionFound]:
    return [f for f in story.events(InteractionFound) if f.rule_id in (SEVERE, MODERATE)]


@pytest.mark.parametrize("ml_min", [25, 30])
def test_acamprosate_with_a_clearance_of_30_or_less_is_a_hard_stop(ml_min: int) -> None:
    story = with_clearance(ml_min)

    with pytest.raises(HardStop) as refused:
        story.prescribe("acamprosate", "999", schedule=TID)

    assert (refused.value.field, refused.value.rule) == ("medication", SEVERE)
    assert refused.value.details == {"ruleVersion": "1"}
    message = refused.value.message
    assert f"creatinine clearance {ml_min} mL/min measured 2025-12-30" in message
    assert f"rule {SEVERE} version 1" in message
    assert message.endswith("This is a hard stop: acamprosate is refused")
    assert not story.record.pending


def test_acamprosate_above_333_mg_tid_with_a_moderate_clearance_is_a_moderate_finding() -> None:
    story = with_clearance(40)

    # 1998 mg a day in three doses: 666 mg three times a day. No acknowledgement needed.
    order = story.prescribe("acamprosate", "1998", schedule=TID)

    [found] = renal_findings(story)
    assert (found.rule_id, found.rule_version, found.severity) == (MODERATE, "1", Severity.MODERATE)
    assert [(i.id, i.medication) for i in found.implicated] == [(order, "acamprosate")]
    assert found.clearance == story.clearance
    assert found.title.startswith("acamprosate: above 999 mg a day in moderate renal impairment")
    assert "creatinine clearance 40 mL/min measured 2025-12-30" in found.title


@pytest.mark.parametrize(
    ("ml_min", "daily", "times"),
    [
        (None, "1998", 3),  # no clearance on record: the rule cannot judge
        (40, "999", 3),  # the label's 333 mg three times a day
        (40, "666", 3),  # an order's dose is the day's, split: 222 mg three times a day
        (51, "1998", 3),  # above the moderate band
        (50, "1000", 2),  # 1000 mg a day is above 999: found
    ],
)
def test_acamprosate_findings_by_clearance_and_daily_dose(
    ml_min: int | None, daily: str, times: int
) -> None:
    story = with_clearance(ml_min)

    story.prescribe("acamprosate", daily, schedule=Schedule(times_per_day=times))

    expected = [MODERATE] if (ml_min, daily) == (50, "1000") else []
    assert [f.rule_id for f in renal_findings(story)] == expected


def test_raising_acamprosate_is_judged_and_reducing_it_is_not() -> None:
    story = with_clearance(None)
    order = story.prescribe("acamprosate", "999", schedule=TID)
    story.clearance = ClearanceEvidence(vitals_id=uuid4(), ml_min=45, measured_at=MEASURED)

    raised = story.change(order, "1998", day(2))
    reduced = story.change(raised, "999", day(3))
    story.clearance = ClearanceEvidence(vitals_id=uuid4(), ml_min=20, measured_at=MEASURED)
    lower = story.change(reduced, "666", day(4))

    assert [(f.rule_id, f.implicated[0].id) for f in renal_findings(story)] == [(MODERATE, raised)]
    with pytest.raises(HardStop):
        story.change(lower, "999", day(5))


def test_acamprosate_back_in_force_is_judged_on_the_latest_clearance() -> None:
    story = with_clearance(None)
    first = story.prescribe("acamprosate", "1998", schedule=TID)
    story.on(day(2))
    reduced = story.change(first, "999", day(2))
    story.clearance = ClearanceEvidence(vitals_id=uuid4(), ml_min=40, measured_at=MEASURED)
    story.on(day(3))

    prescribing.discontinue(  # never refused: a correction is not held up
        story.record, story.stamp(), story.rules, reduced, "wrong client", in_error=True,
        monitored=story.monitored(),
    )  # fmt: skip

    [found] = renal_findings(story)
    assert (found.rule_id, [i.id for i in found.implicated]) == (MODERATE, [first])


def test_acamprosate_from_elsewhere_with_a_clearance_of_30_or_less_is_a_finding() -> None:
    story = with_clearance(22)
    reported = statements.Statement(
        "acamprosate", StatementSource.OTHER_PRESCRIBER, Decimal(1998), "mg"
    )
    statement_id = uuid4()

    statements.record_statement(
        story.record, story.stamp(), story.rules, statement_id, reported, story.monitored()
    )

    [found] = renal_findings(story)
    assert (found.rule_id, found.severity) == (SEVERE, Severity.HIGH)
    assert [i.id for i in found.implicated] == [statement_id]


def test_other_medications_are_not_judged_on_the_clearance() -> None:
    story = with_clearance(20)

    story.prescribe("naltrexone", "50")

    assert renal_findings(story) == []


def test_the_clearance_judged_on_is_the_one_measured_last_and_not_in_error() -> None:
    record = CheckInRecord(uuid4())
    stamp = Stamp(NURSE, clock=lambda: MEASURED + timedelta(days=3))

    def measured(ml_min: int, days: int) -> ClearanceEvidence:
        vitals = Vitals(creatinine_clearance_ml_min=ml_min)
        event = record.record_vital_signs(stamp, uuid4(), vitals, MEASURED + timedelta(days=days))
        return ClearanceEvidence(
            vitals_id=event.vitals_id, ml_min=ml_min, measured_at=event.occurred_at
        )

    measured(25, 0)
    later = measured(40, 2)
    between = measured(60, 1)  # entered after the 40, measured before it
    latest = Monitored.of(record).clearance
    record.enter_in_error(stamp, later.vitals_id, "recorded on the wrong client")

    assert latest == later
    assert Monitored.of(record).clearance == between


def test_the_clearance_is_exported_as_an_observation_of_its_own_nullified_in_error() -> None:
    record = CheckInRecord(uuid4())
    stamp = Stamp(NURSE, clock=lambda: MEASURED)
    vitals = Vitals(pulse_bpm=70, creatinine_clearance_ml_min=28)
    event = record.record_vital_signs(stamp, uuid4(), vitals, MEASURED)
    alone = record.record_vital_signs(
        stamp, uuid4(), Vitals(creatinine_clearance_ml_min=35), MEASURED
    )
    wrong = record.enter_in_error(stamp, event.vitals_id, "the wrong client's result")

    made = resources([event, alone, wrong], at=MEASURED)

    observations = [r for r in made if r["resourceType"] == "Observation"]
    assert [(o["code"]["coding"][0]["code"], o["status"]) for o in observations] == [
        ("85353-1", "entered-in-error"),  # the vital signs' panel: the pulse alone
        ("35591-7", "entered-in-error"),
        ("35591-7", "final"),  # a clearance with no vital signs makes no panel
    ]
    crcl = observations[1]
    assert crcl["category"][0]["coding"][0]["code"] == "laboratory"
    assert crcl["effectiveDateTime"].startswith("2025-12-30T09:00")
    assert crcl["valueQuantity"] == {
        "value": 28,
        "unit": "mL/min",
        "system": "http://unitsofmeasure.org",
        "code": "mL/min",
    }
    assert [c["code"]["coding"][0]["code"] for c in observations[0]["component"]] == ["8867-4"]
    [provenance] = [r for r in made if r["resourceType"] == "Provenance"]
    assert provenance["target"] == [
        {"reference": f"Observation/{o['id']}"} for o in observations[:2]
    ]
    assert "CrCl 28 mL/min" in event.summary()
