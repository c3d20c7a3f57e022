"""A take-home reaching a day already dosed is refused naming the input that reached it: a
take-home has no slot, yet the refusal named ``slot``, which a client showing each error
beside its field had nowhere to show."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import RuleViolation


def test_a_take_home_from_a_day_dosed_at_the_window_names_first_day() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)

    with pytest.raises(RuleViolation) as covered:
        story.take_home(order, day(1), day(1), 2)

    assert (covered.value.field, covered.value.rule) == ("firstDay", "one-dose-per-slot")


def test_a_take_home_running_into_bottles_in_hand_names_days() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)
    story.take_home(order, day(1), day(4), 2)

    with pytest.raises(RuleViolation) as covered:
        story.take_home(order, day(1), day(2), 3)

    assert (covered.value.field, covered.value.rule) == ("days", "one-dose-per-slot")
    assert f"on {day(4)} is already covered" in covered.value.message
