"""A dose given before a hold was placed, and charted after it, is charted at once: it was
refused until the hold was lifted, so the day read undosed while the order was held, and on
resuming the window gave the client the day's dose a second time. One given since the hold
began is still refused."""

from __future__ import annotations

from uuid import UUID

import pytest
from medication_story import Story, day

from carecoord.events.medication import DoseAdministered
from carecoord.services.kernel.errors import RuleViolation


def held_at_nine_on_day_2() -> tuple[Story, UUID]:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.on(day(2), 9)
    story.hold(order, "reported sedation after the morning dose")
    story.on(day(2), 10)
    return story, order


def test_a_dose_given_before_the_hold_is_charted_and_the_day_is_dosed_once() -> None:
    story, order = held_at_nine_on_day_2()

    story.dose(order, day(2), hour=8)
    story.on(day(2), 15)
    story.resume(order, "assessed, alert")

    with pytest.raises(RuleViolation) as again:
        story.dose(order, day(2), hour=16)
    assert again.value.rule == "one-dose-per-slot"
    assert len(story.events(DoseAdministered)) == 2


def test_a_dose_given_since_the_hold_began_is_refused() -> None:
    story, order = held_at_nine_on_day_2()

    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(2), hour=9)

    assert (refused.value.field, refused.value.rule) == ("orderId", "order-active")
