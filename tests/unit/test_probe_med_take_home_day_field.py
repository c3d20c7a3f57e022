"""A take-home reaching a day the client doses elsewhere is refused naming the input that
reached the day (``firstDay``, or ``days`` for a later day), as one reaching a day already
dosed is: it named ``orderId``, though the order was right and the days asked for were not."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import RuleViolation


def test_a_take_home_running_into_guest_dosing_names_days() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)
    story.guest(day(4), day(9))

    with pytest.raises(RuleViolation) as away:
        story.take_home(order, day(1), day(2), 3)
    with pytest.raises(RuleViolation) as first_away:
        story.take_home(order, day(1), day(4), 1)

    assert (away.value.field, away.value.rule) == ("days", "guest-dosing")
    assert (first_away.value.field, first_away.value.rule) == ("firstDay", "guest-dosing")
