"""The evening part of a split dose goes home the day the morning part is observed (an
in-house split): the hand-over asked a bottle for every slot of the day, the observed one
too, and then refused that slot as already covered, so no split dose could be taken home
on its day. A slot not yet observed is still refused twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Schedule
from carecoord.events.medication import TakeHomeDispensed
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome


def split() -> tuple[Story, UUID]:
    """80 mg in two doses; the morning dose observed on day 1; take-homes allowed."""
    story = Story()
    order = story.prescribe(dose="80", schedule=Schedule(times_per_day=2))
    story.dose(order, day(1), "40", slot=1)
    story.eligible(7)
    return story, order


def hand_over(story: Story, order: UUID, first: date, days: int, bottles: int) -> None:
    given = TakeHome(
        order, first, days, "oral solution",
        tuple(Bottle(f"B{n}", "LOT-7") for n in range(bottles)), handed_over_at=at(day(1), 10),
    )  # fmt: skip
    dispensing.dispense_take_home(
        story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
    )


def test_the_evening_dose_goes_home_the_day_the_morning_dose_is_observed() -> None:
    story, order = split()

    hand_over(story, order, day(1), 2, 3)

    [handed] = story.events(TakeHomeDispensed)
    assert [(b.day, b.slot, b.amount) for b in handed.bottles] == [
        (day(1), 2, Decimal(40)),
        (day(2), 1, Decimal(40)),
        (day(2), 2, Decimal(40)),
    ]


def test_a_bottle_for_the_observed_slot_is_not_asked_and_a_second_hand_over_is_refused() -> None:
    story, order = split()
    with pytest.raises(InvalidInput) as too_many:
        hand_over(story, order, day(1), 1, 2)
    assert too_many.value.rule == "one-bottle-per-dose"

    hand_over(story, order, day(1), 1, 1)
    with pytest.raises(RuleViolation) as twice:
        hand_over(story, order, day(1), 1, 1)
    assert twice.value.rule == "one-dose-per-slot"


def test_a_day_whose_dose_was_all_observed_is_still_refused() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)

    with pytest.raises(RuleViolation) as covered:
        hand_over(story, order, day(1), 2, 2)
    assert covered.value.rule == "one-dose-per-slot"
