"""Days without a dose that a prescriber's hold followed place no hold of the rule: the
prescriber held the order after them, which is the assessment the rule's hold asks for.
The sweep finds days late when it did not run (the process down over the program's
midnight, or just started), and it held again an order a prescriber had held, assessed and
resumed, the client dosed since."""

from __future__ import annotations

from datetime import date

from medication_story import Story, at, day

from carecoord.events import Actor, Role
from carecoord.events.medication import DoseMissed, OrderHeld
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing

SWEEP = Actor(id="missed-dose-sweep", role=Role.SYSTEM)


def sweep(story: Story, today: date) -> None:
    dispensing.record_missed(
        story.record, Stamp(SWEEP, clock=lambda: at(today, 1)), story.rules, today
    )


def test_days_a_prescribers_hold_followed_are_missed_and_place_no_second_hold() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.on(day(5), 7)
    story.hold(order, "away three days; to be assessed")
    story.on(day(5), 8)
    story.resume(order, "assessed at the window")
    story.dose(order, day(5))

    sweep(story, day(6))

    missed = [(e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(day(2), 1), (day(3), 2), (day(4), 3)]
    assert [e.rule_id for e in story.events(OrderHeld)] == [""]
    assert story.record.orders[order].hold is None


def test_days_no_hold_followed_still_hold_the_order() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))

    sweep(story, day(5))

    [held] = story.events(OrderHeld)
    assert (held.order_id, held.rule_id) == (order, "consecutive-missed-doses")
