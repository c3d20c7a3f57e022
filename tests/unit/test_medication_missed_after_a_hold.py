"""Days without a dose that a prescriber's hold followed place no hold of the rule: the
prescriber held the order after them, which is the assessment the rule's hold asks for.
The sweep finds days late when it did not run (the process down over the program's
midnight, or just started), and it held again an order a prescriber had held, assessed and
resumed, the client dosed since."""

from __future__ import annotations

from medication_story import Story, day

from carecoord.events.medication import DoseMissed, OrderHeld


def test_days_a_prescribers_hold_followed_are_missed_and_place_no_second_hold() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.on(day(5), 7)
    story.hold(order, "away three days; to be assessed")
    story.on(day(5), 8)
    story.resume(order, "assessed at the window")
    story.dose(order, day(5))

    story.sweep(day(6))

    missed = [(e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(day(2), 1), (day(3), 2), (day(4), 3)]
    assert [e.rule_id for e in story.events(OrderHeld)] == [""]
    assert story.record.orders[order].hold is None


def test_days_no_hold_followed_still_hold_the_order() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))

    story.sweep(day(5))

    [held] = story.events(OrderHeld)
    assert (held.order_id, held.rule_id) == (order, "consecutive-missed-doses")
