"""Consecutive days without a dose run on across a stop and a new order of the medication,
as across a dose change, and from an order that ran out by its end date to the next one,
across the days with no order between: two days missed under the stopped or ended order and
the first under the new one are three in a row, and the new order is held until a
prescriber assesses the client. The new order counted its own days only, so a dose changed
by stopping the order and writing another, or an order left to run out before the next,
let the client be dosed in full after four days away."""

from __future__ import annotations

from medication_story import Story, at, day

from carecoord.events.medication import DoseMissed, OrderHeld
from carecoord.services.medication import dispensing


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


def test_the_days_with_no_order_between_count_as_days_without_a_dose() -> None:
    """Version 5: a stop, two days with no order, and the new order's first day missed are
    five days in a row without methadone (version 4 started the count again at the new
    order, and the client was dosed in full the next day)."""
    story = Story()
    old = story.prescribe(dose="60")
    story.dose(old, day(1), "60")
    story.sweep(day(4))
    story.on(day(4), 7)
    story.discontinue(old, stopped_at=at(day(4), 7), reason="prescriber left")
    new = story.prescribe(dose="60", start=day(6))

    story.sweep(day(7))

    missed = [(e.order_id, e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(old, day(2), 1), (old, day(3), 2), (new, day(6), 5)]
    [held] = story.events(OrderHeld)
    assert (held.order_id, held.rule_version) == (new, "5")


def test_days_missed_as_an_order_runs_out_and_before_the_next_hold_the_next() -> None:
    story = Story()
    ended = story.prescribe(dose="60", end=day(3))
    story.dose(ended, day(1), "60")
    story.on(day(4))
    new = story.prescribe(dose="60", start=day(5))

    story.sweep(day(6))  # day 2, 3 missed; day 4 no order; day 5 missed

    missed = [(e.order_id, e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(ended, day(2), 1), (ended, day(3), 2), (new, day(5), 4)]
    [held] = story.events(OrderHeld)
    assert held.order_id == new


def test_a_new_order_after_the_client_dosed_elsewhere_starts_its_own_count() -> None:
    """Days dosed elsewhere (or out of treatment, or held) are no days without a dose."""
    story = Story()
    ended = story.prescribe(dose="60", end=day(3))
    story.dose(ended, day(1), "60")
    story.dose(ended, day(2), "60")
    story.dose(ended, day(3), "60")
    story.on(day(4), 7)
    story.guest(day(4), day(5))
    new = story.prescribe(dose="60", start=day(6))

    story.sweep(day(8))

    missed = [(e.order_id, e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(new, day(6), 1), (new, day(7), 2)]
    assert story.events(OrderHeld) == []


def test_a_new_orders_first_dose_after_three_days_without_one_waits_for_a_prescriber() -> None:
    """Two days missed as an order ran out and a day with none: the new order's first dose
    is refused until a prescriber holds and resumes it, as the sweep's hold asks."""
    story = Story()
    ended = story.prescribe(dose="60", end=day(3))
    story.dose(ended, day(1), "60")
    story.on(day(4))
    new = story.prescribe(dose="60", start=day(5))
    story.on(day(5), 8)

    due = dispensing.missed_hold_due(story.record, story.rules, new, day(5))

    assert due is not None
    assert (due.field, due.rule, due.details) == (
        "orderId",
        "consecutive-missed-doses",
        {"consecutiveDays": 3},
    )
    story.hold(new, "assess after three days without methadone")
    story.resume(new, "assessed; full dose")
    assert dispensing.missed_hold_due(story.record, story.rules, new, day(5)) is None


def test_the_first_dose_of_a_new_order_after_a_day_without_one_is_given() -> None:
    story = Story()
    ended = story.prescribe(dose="60", end=day(3))
    for n in (1, 2, 3):
        story.on(day(n))
        story.dose(ended, day(n), "60")
    story.on(day(4))
    new = story.prescribe(dose="60", start=day(5))
    story.on(day(5), 8)
    assert dispensing.missed_hold_due(story.record, story.rules, new, day(5)) is None


def test_a_new_order_written_after_the_days_without_a_dose_is_the_assessment() -> None:
    """A prescriber writing the order on the day it starts, after the days, knew of them (a
    restart after weeks away is held to the initial-dose cap instead)."""
    story = Story()
    ended = story.prescribe(dose="60", end=day(3))
    story.dose(ended, day(1), "60")
    story.on(day(5), 8)
    new = story.prescribe(dose="60", start=day(5))
    assert dispensing.missed_hold_due(story.record, story.rules, new, day(5)) is None
