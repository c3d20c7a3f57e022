"""A paper order entered after a downtime (its ``start`` before the day it is entered): the
sweep leaves its earlier days to the nurses charting the paper doses for the rule's grace,
then judges them as it catches up on any day; an order that has ended is never held; and a
second order of the medication for days an order already covered is refused, as one in
force today is. The sweep found every past day missed within the hour, raised an alert for
each, and held the order (ended or not), which refused the paper doses charted after."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from medication_story import Story, at, day

from carecoord.events.medication import DoseMissed, OrderHeld
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing


def late_order(story: Story, entered: int, start: int = 1, end: int | None = None) -> UUID:
    """A methadone order from the paper chart, entered at 10 on day ``entered``."""
    story.on(day(entered), 10)
    return story.prescribe(start=day(start), end=None if end is None else day(end))


def missed(story: Story) -> list[tuple[date, int]]:
    return [(e.day, e.consecutive_days) for e in story.events(DoseMissed)]


def test_the_days_before_a_late_order_was_entered_wait_for_the_paper_doses() -> None:
    story = Story()
    order = late_order(story, entered=5)

    assert story.sweep(day(5)) == 0
    story.on(day(5), 11)
    story.dose(order, day(5), hour=11)
    assert story.sweep(day(6)) == 0  # the day after it was entered: still charting

    story.on(day(6), 10)
    for paper in (1, 2, 3):  # day 4: nothing on the paper chart
        story.dose(order, day(paper))
    story.dose(order, day(6), hour=10)

    assert story.sweep(day(7)) == 1
    assert missed(story) == [(day(4), 1)]
    assert not story.events(OrderHeld)
    assert story.record.orders[order].hold is None


def test_after_the_grace_the_days_still_uncharted_are_missed_and_hold_as_ever() -> None:
    """Catch-up stays: the days are judged, and three in a row hold the order."""
    story = Story()
    order = late_order(story, entered=5)

    assert story.sweep(day(7)) == 6

    assert missed(story)[:3] == [(day(1), 1), (day(2), 2), (day(3), 3)]
    [held] = story.events(OrderHeld)
    assert held.order_id == order
    assert held.rule_version == "5"


def test_the_window_gives_no_grace_before_the_first_dose_back() -> None:
    """Three days with no dose charted are assessed first, or charted first."""
    story = Story()
    order = late_order(story, entered=5)

    due = dispensing.missed_hold_due(story.record, story.rules, order, day(5))
    assert due is not None
    assert due.rule == "consecutive-missed-doses"

    story.dose(order, day(3))
    assert dispensing.missed_hold_due(story.record, story.rules, order, day(5)) is None


def test_an_ended_order_is_never_held() -> None:
    story = Story()
    order = late_order(story, entered=6, end=3)

    assert story.sweep(day(9)) == 3

    assert missed(story) == [(day(1), 1), (day(2), 2), (day(3), 3)]
    assert not story.events(OrderHeld)
    assert story.record.orders[order].hold is None


def test_an_order_that_ended_while_the_sweep_was_down_is_not_held() -> None:
    story = Story()
    story.prescribe(end=day(3))

    assert story.sweep(day(5)) == 3
    assert not story.events(OrderHeld)


def test_a_second_order_for_days_an_ended_order_covered_is_refused_naming_start() -> None:
    story = Story()
    first = late_order(story, entered=6, end=3)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe(start=day(2), end=day(4))

    assert (refused.value.field, refused.value.rule) == ("start", "one-order-per-medication")
    assert str(first) in refused.value.message
    assert f"after {day(3)}" in refused.value.message
    assert len(story.record.orders) == 1


def test_a_second_order_reaching_into_its_days_is_refused_naming_end() -> None:
    story = Story()
    late_order(story, entered=6, start=3, end=4)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe(start=day(1))

    assert (refused.value.field, refused.value.rule) == ("end", "one-order-per-medication")
    assert f"before {day(3)}" in refused.value.message


def test_orders_for_days_apart_and_a_restart_the_day_of_a_stop_are_accepted() -> None:
    story = Story()
    late_order(story, entered=8, start=1, end=2)
    story.prescribe(start=day(3), end=day(4))
    third = story.prescribe(start=day(5))
    story.dose(third, day(5))
    story.on(day(8), 11)
    story.discontinue(third, stopped_at=at(day(8), 11), reason="rewritten as a new order")
    story.prescribe(start=day(8))

    assert len(story.record.orders) == 4
