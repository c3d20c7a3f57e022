"""A replacement dose spilled in its turn is not replaced again, and the refusal says so:
it answered NOT_FOUND, "no original dose", naming a dose the record holds."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Replacement


def replace(story: Story, order: UUID, spilled: UUID, hour: int) -> UUID:
    dose_id = uuid4()
    replacement = Replacement(
        order, spilled, Decimal(60), "oral solution", "spilled", at(day(1), hour)
    )
    dispensing.replace_dose(
        story.record, story.stamp(NURSE), story.rules, dose_id, replacement, site="OTP"
    )
    return dose_id


def test_replacing_a_replacement_is_refused_as_one_replacement_naming_the_original() -> None:
    story = Story()
    order = story.prescribe()
    original = story.dose(order, day(1))
    replacement = replace(story, order, original, 10)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        replace(story, order, replacement, 11)

    assert (refused.value.code, refused.value.field, refused.value.rule) == (
        "RULE_VIOLATION",
        "replacesDoseId",
        "one-replacement",
    )
    assert f"dose {replacement} replaced dose {original}" in refused.value.message
    assert len(story.record.pending) == recorded
