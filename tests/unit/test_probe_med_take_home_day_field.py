"""A take-home reaching a day the client doses elsewhere is refused naming the input that
reached the day (``firstDay``, or ``days`` for a later day), as one reaching a day already
dosed is: it named ``orderId``, though the order was right and the days asked for were not."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import NURSE, Story, day

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing


def test_a_take_home_running_into_guest_dosing_names_days() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)
    dispensing.arrange_guest_dosing(
        story.record, story.stamp(NURSE), guest_dosing_id=uuid4(), site="Riverside OTP",
        start=day(4), end=day(9),
    )  # fmt: skip

    with pytest.raises(RuleViolation) as away:
        story.take_home(order, day(1), day(2), 3)
    with pytest.raises(RuleViolation) as first_away:
        story.take_home(order, day(1), day(4), 1)

    assert (away.value.field, away.value.rule) == ("days", "guest-dosing")
    assert (first_away.value.field, first_away.value.rule) == ("firstDay", "guest-dosing")
