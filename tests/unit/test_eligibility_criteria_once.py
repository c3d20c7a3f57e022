"""A take-home eligibility decision assesses each 42 CFR 8.12(i) criterion once: one sent twice,
met and not met, was recorded as both, and an auditor read a criterion assessed both ways."""

from __future__ import annotations

import pytest
from medication_story import Story

from carecoord.events.medication import TakeHomeCriterion
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import eligibility
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.take_homes import CRITERIA


@pytest.mark.parametrize("met", [True, False])
def test_a_criterion_assessed_twice_is_refused_naming_the_second(met: bool) -> None:
    story = Story()
    first = next(iter(CRITERIA))
    criteria = (
        *(TakeHomeCriterion(criterion=c, met=True) for c in CRITERIA),
        TakeHomeCriterion(criterion=first, met=met),
    )
    before = len(story.record.pending)

    with pytest.raises(InvalidInput) as refused:
        eligibility.determine_eligibility(
            story.record, story.stamp(), EligibilityDecision(0, criteria, "stable")
        )

    assert (refused.value.field, refused.value.rule) == (
        f"criteria.{len(CRITERIA)}.criterion",
        "criterion-once",
    )
    assert len(story.record.pending) == before
