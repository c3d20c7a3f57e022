"""A take-home covers days up to its order's end: for days past it the order prescribes
nothing, yet a hand-over for 4 days from the day before an end was recorded with 2 bottles as
supply for 4 days, the client sent home short of what the record said they held. It is
refused naming the field and the rule, recording nothing; one that ends on the order's end
is handed over as before."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.medication import TakeHomeDispensed
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome


def hand_over(story: Story, first: int, days: int, bottles: int) -> None:
    """On day 2, take-homes from day ``first`` for ``days`` days in ``bottles`` bottles."""
    order_id = next(iter(story.record.orders))
    given = TakeHome(
        order_id, day(first), days, "oral solution",
        bottles=tuple(Bottle(f"B{n}", "LOT-7") for n in range(bottles)),
        handed_over_at=at(day(2), 10),
    )  # fmt: skip
    dispensing.dispense_take_home(
        story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
    )


@pytest.fixture
def story() -> Story:
    """A client dosed on day 1 under an order ending on day 4, eligible for 7 days."""
    story = Story()
    order = story.prescribe(end=day(4))
    story.dose(order, day(1))
    story.eligible(7)
    story.on(day(2))
    return story


def test_days_past_the_order_end_are_refused_naming_days(story: Story) -> None:
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        hand_over(story, first=3, days=4, bottles=2)

    assert (refused.value.field, refused.value.rule) == ("days", "within-order")
    assert f"order ends on {day(4)}" in refused.value.message
    assert "cover at most 2 days, not 4" in refused.value.message
    assert len(story.record.pending) == recorded


def test_a_first_day_after_the_order_end_is_refused_naming_it(story: Story) -> None:
    with pytest.raises(RuleViolation) as refused:
        hand_over(story, first=5, days=1, bottles=1)

    assert (refused.value.field, refused.value.rule) == ("firstDay", "within-order")


def test_take_homes_through_the_order_end_are_handed_over(story: Story) -> None:
    hand_over(story, first=3, days=2, bottles=2)

    [handed] = story.events(TakeHomeDispensed)
    assert handed.days_covered == 2
    assert [(b.day, b.amount) for b in handed.bottles] == [
        (day(3), Decimal(60)),
        (day(4), Decimal(60)),
    ]
