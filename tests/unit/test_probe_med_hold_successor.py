"""A dose change that starts tomorrow leaves today's dose to the order it replaces, and a
hold is placed on the new order (the old one answers "replaced: act on that one"); that hold
did not stop today's dose under the old order, so a client held for intoxication was still
dosed. A hold on the order that replaces one holds it too, and stopping it stops it too."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.events.medication import DoseAdministered
from carecoord.services.kernel.errors import RuleViolation


def test_a_hold_on_the_replacing_order_stops_todays_dose_under_the_old_one() -> None:
    story = Story()
    old = story.prescribe()
    new = story.change(old, "80", day(2))
    with pytest.raises(RuleViolation, match="act on that one"):
        story.hold(old, "intoxicated")
    story.hold(new, "intoxicated")

    with pytest.raises(RuleViolation) as refused:
        story.dose(old, day(1))

    assert (refused.value.field, refused.value.rule) == ("orderId", "order-active")
    assert f"order {new} that replaces it is on hold" in refused.value.message
    assert not story.events(DoseAdministered)


def test_once_the_hold_is_lifted_the_old_order_doses_again() -> None:
    story = Story()
    old = story.prescribe()
    new = story.change(old, "80", day(2))
    story.hold(new, "intoxicated")
    story.resume(new, "sober")

    story.dose(old, day(1))

    assert len(story.events(DoseAdministered)) == 1


def test_stopping_the_replacing_order_stops_todays_dose_under_the_old_one() -> None:
    story = Story()
    old = story.prescribe()
    new = story.change(old, "80", day(2))
    story.discontinue(new, reason="switching to naltrexone")

    with pytest.raises(RuleViolation) as refused:
        story.dose(old, day(1))

    assert (refused.value.field, refused.value.rule) == ("orderId", "order-active")
    assert f"order {new} that replaces it is stopped" in refused.value.message
