"""A day a dose not given was recorded for is accounted for: the missed-dose sweep does not
record it missed as well. It recorded both, and the day counted twice (the dosing view, the
caseload's missed days, the FHIR export).

It is still a day without a dose, so it counts in the consecutive days the hold is placed on,
as it did when it was recorded missed: the hold comes on the same day as before, and a rerun
of the sweep finds nothing new. A dose not given charted after the sweep found the day missed
is recorded as the explanation, and changes neither the count nor the hold."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from medication_story import NURSE, Story, at, day

from carecoord.events.medication import DoseMissed, DoseNotGiven, NotGivenReason, OrderHeld
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import NotGiven


def not_given(
    story: Story, order: UUID, on: date, reason: NotGivenReason = NotGivenReason.INTOXICATED
) -> None:
    given = NotGiven(order, reason, occurred_at=at(on, 9))
    dispensing.not_given(story.record, story.stamp(NURSE), story.rules, given)


def missed(story: Story) -> list[tuple[date, int]]:
    return [(e.day, e.consecutive_days) for e in story.events(DoseMissed)]


def test_a_day_a_dose_not_given_was_recorded_for_is_not_missed() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    not_given(story, order, day(2), NotGivenReason.DECLINED)
    story.dose(order, day(3))

    assert story.sweep(day(5)) == 1

    assert missed(story) == [(day(4), 1)]
    assert story.events(OrderHeld) == []


def test_every_reason_accounts_for_the_day() -> None:
    for reason in NotGivenReason:
        story = Story()
        order = story.prescribe()
        not_given(story, order, day(1), reason)

        assert story.sweep(day(2)) == 0, reason
        assert missed(story) == [], reason


def test_a_rerun_of_the_sweep_records_nothing_new() -> None:
    story = Story()
    order = story.prescribe()
    not_given(story, order, day(2))
    first = story.sweep(day(4))
    recorded = len(story.record.pending)

    again = [story.sweep(day(4)), story.sweep(day(4))]

    assert (first, again) == (2, [0, 0])
    assert len(story.record.pending) == recorded
    assert missed(story) == [(day(1), 1), (day(3), 3)]
    assert len(story.events(OrderHeld)) == 1


def test_a_day_not_given_counts_in_the_days_in_a_row_and_the_hold_comes_as_before() -> None:
    """Missed, not given, missed: the third is three in a row and holds the order."""
    story = Story()
    order = story.prescribe()
    not_given(story, order, day(2))

    assert story.sweep(day(4)) == 2

    assert missed(story) == [(day(1), 1), (day(3), 3)]
    [held] = story.events(OrderHeld)
    assert held.order_id == order
    assert held.reason == (
        "3 consecutive dosing days without a dose (1 not given, 2 missed); a prescriber must assess"
    )
    assert (held.rule_id, held.rule_version) == ("consecutive-missed-doses", "5")


def test_a_third_day_not_given_places_the_hold_with_no_day_missed_and_only_once() -> None:
    story = Story()
    order = story.prescribe()
    not_given(story, order, day(3), NotGivenReason.DECLINED)

    assert story.sweep(day(4)) == 2
    assert missed(story) == [(day(1), 1), (day(2), 2)]
    [held] = story.events(OrderHeld)
    assert held.reason.startswith("3 consecutive dosing days without a dose (1 not given")

    # Reruns, and reruns after a prescriber assessed the client and lifted the hold, place
    # no second hold for the same days.
    assert story.sweep(day(4)) == 0
    story.on(day(4), 8)
    story.resume(order, "assessed; restart at 30 mg")
    story.dose(order, day(4), "30")
    assert story.sweep(day(5)) == 0
    assert len(story.events(OrderHeld)) == 1
    assert missed(story) == [(day(1), 1), (day(2), 2)]


def test_a_client_dosed_after_a_dose_not_given_that_day_was_dosed() -> None:
    """Turned away intoxicated in the morning, dosed sober in the afternoon: the day breaks
    the run of days without a dose."""
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    not_given(story, order, day(2))
    story.dose(order, day(2))

    story.sweep(day(5))

    assert missed(story) == [(day(3), 1), (day(4), 2)]
    assert story.events(OrderHeld) == []


def test_days_not_given_under_the_order_a_dose_change_replaced_run_on() -> None:
    story = Story()
    old = story.prescribe()
    not_given(story, old, day(1))
    not_given(story, old, day(2))
    story.on(day(3))
    new = story.change(old, "70", day(3))

    assert story.sweep(day(4)) == 1

    assert missed(story) == [(day(3), 3)]
    [held] = story.events(OrderHeld)
    assert held.order_id == new
    assert "(2 not given, 1 missed)" in held.reason


def test_a_dose_not_given_charted_after_the_sweep_found_the_day_explains_it() -> None:
    """The reverse order: the sweep found the day missed, then the nurse charts why. It is
    recorded; the day's finding stays, and neither the count nor a rerun changes."""
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    assert story.sweep(day(3)) == 1
    assert missed(story) == [(day(2), 1)]

    story.on(day(3), 10)
    not_given(story, order, day(2), NotGivenReason.INTOXICATED)

    [late] = story.events(DoseNotGiven)
    assert (late.day, late.reason) == (day(2), NotGivenReason.INTOXICATED)
    assert story.record.orders[order].not_given == {day(2)}
    assert story.sweep(day(3)) == 0
    assert story.sweep(day(5)) == 2
    assert missed(story) == [(day(2), 1), (day(3), 2), (day(4), 3)]
    assert len(story.events(OrderHeld)) == 1


def test_the_record_folded_from_its_events_decides_the_same() -> None:
    """The aggregate loaded from the store reads the dose not given (it ignored it)."""
    story = Story()
    order = story.prescribe()
    not_given(story, order, day(1))
    events = [r.event for r in story.record.pending]

    loaded = Story()
    loaded.record = type(story.record)(story.record.client_id)
    for event in events:
        loaded.record.apply(event)

    assert loaded.record.orders[order].not_given == {day(1)}
    assert loaded.sweep(day(2)) == 0
