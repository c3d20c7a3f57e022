"""Each take-home bottle handed over carries its own label: the same label listed for two
doses was recorded as two bottles, so a call-back count (bring your bottles back) could not
tell which dose a returned bottle held. It is refused naming the field and records nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.medication import TakeHomeDispensed
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome


def test_a_bottle_label_listed_twice_in_one_hand_over_is_refused() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)
    recorded = len(story.record.pending)
    bottles = (Bottle("B1", "LOT-7"), Bottle("B2", "LOT-7"), Bottle("B1", "LOT-7"))
    handed = TakeHome(order, day(2), 3, "oral solution", bottles, handed_over_at=at(day(1), 10))

    with pytest.raises(InvalidInput) as refused:
        dispensing.dispense_take_home(
            story.record, story.stamp(NURSE), story.rules, uuid4(), handed, program="OTP"
        )

    assert (refused.value.field, refused.value.rule) == ("bottles.2.bottle", "one-label-per-bottle")
    assert len(story.record.pending) == recorded
    story.take_home(order, day(1), day(2), 3)
    assert len(story.events(TakeHomeDispensed)) == 1
