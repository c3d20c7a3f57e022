"""Consecutive days without a dose run on across a stop and a new order of the medication,
as across a dose change: two days missed under the stopped order and the first under the
new one are three in a row, and the new order is held until a prescriber assesses the
client. The new order counted its own days only, so a dose changed by stopping the order
and writing another let the client be dosed in full after four days away."""

from __future__ import annotations

from medication_story import Story, at, day

from carecoord.events.medication import DoseMissed, OrderHeld


def test_days_missed_before_a_stop_count_toward_the_hold_on_the_new_order() -> None:
    story = Story()
    old = story.prescribe(dose="60")
    story.dose(old, day(1), "60")
    story.sweep(day(4))
    story.on(day(4), 7)
    story.discontinue(old, stopped_at=at(day(4), 7), reason="dose increase as a new order")
    new = story.prescribe(dose="70", start=day(4))

    story.sweep(day(5))

    missed = [(e.order_id, e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(old, day(2), 1), (old, day(3), 2), (new, day(4), 3)]
    [held] = story.events(OrderHeld)
    assert held.order_id == new


def test_a_new_order_after_a_break_starts_its_own_count() -> None:
    """Days of the stopped order join a streak only as days in a row."""
    story = Story()
    old = story.prescribe(dose="60")
    story.dose(old, day(1), "60")
    story.sweep(day(4))
    story.on(day(4), 7)
    story.discontinue(old, stopped_at=at(day(4), 7), reason="left the program")
    new = story.prescribe(dose="60", start=day(6))

    story.sweep(day(8))

    missed = [(e.order_id, e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(old, day(2), 1), (old, day(3), 2), (new, day(6), 1), (new, day(7), 2)]
    assert story.events(OrderHeld) == []
