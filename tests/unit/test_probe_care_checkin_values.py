"""A check-in or vital signs that say nothing real are refused and record nothing.

Before, a check-in whose only content was a blank side effect (``sideEffects: ["  "]``) was
recorded with every measure empty (the blank is dropped when stored), and a blood pressure
with the diastolic above the systolic (60/180, the two fields swapped) was recorded and shown
as "BP 60/180"."""

from __future__ import annotations

import pytest
from alert_story import NURSE, Story

from carecoord.events.checkins import CheckInRecorded, VitalSignsRecorded
from carecoord.services.kernel.errors import InvalidInput


def test_a_check_in_of_blank_side_effects_only_is_empty() -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refused:
        story.check_in(NURSE, side_effects=("  ", "\t"))
    assert (refused.value.field, refused.value.rule) == ("input", "empty-check-in")
    story.check_in(NURSE, side_effects=(" nausea ", " "))
    [recorded] = [e for e in story.events() if isinstance(e, CheckInRecorded)]
    assert recorded.side_effects == ("nausea",)


@pytest.mark.parametrize(("systolic", "diastolic"), [(60, 180), (90, 90)])
def test_a_diastolic_pressure_at_or_above_the_systolic_is_refused(
    systolic: int, diastolic: int
) -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refused:
        story.vitals(systolic_mmhg=systolic, diastolic_mmhg=diastolic)
    assert (refused.value.field, refused.value.rule) == (
        "diastolicMmhg",
        "diastolic-below-systolic",
    )
    assert not [e for e in story.events() if isinstance(e, VitalSignsRecorded)]
    story.vitals(systolic_mmhg=180, diastolic_mmhg=60)
    [recorded] = [e for e in story.events() if isinstance(e, VitalSignsRecorded)]
    assert (recorded.systolic_mmhg, recorded.diastolic_mmhg) == (180, 60)
