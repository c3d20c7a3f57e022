"""A dose not given recorded in error (on the wrong client, for the wrong day) is marked so by
a new event naming the entry by its own id, its event's, with a reason. It then accounts for
no day: the missed-dose sweep finds the day. Before, such an entry had no id and no
correction, and kept its day from ever being found missed."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day
from test_medication_not_given_missed import missed

from carecoord.events import Schedule
from carecoord.events.medication import (
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    NotGivenReason,
    OrderHeld,
)
from carecoord.events.positioned import Positioned
from carecoord.projections import dosing
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import NotGiven, NotGivenInError
from carecoord.services.medication.record import MedicationRecord


def not_given(story: Story, order: UUID, on: date, slot: int = 1) -> UUID:
    given = NotGiven(order, NotGivenReason.DECLINED, slot=slot, occurred_at=at(on, 9 + slot))
    return dispensing.not_given(story.record, story.stamp(NURSE), story.rules, given)


def mark(story: Story, entry_id: UUID, reason: str = "charted on the wrong client") -> None:
    given = NotGivenInError(entry_id, reason)
    dispensing.enter_not_given_in_error(story.record, story.stamp(NURSE), story.rules, given)


def test_the_entry_is_named_by_its_event_and_once_marked_its_day_is_missed() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    entry = not_given(story, order, day(2))
    story.dose(order, day(3))
    [recorded] = story.events(DoseNotGiven)
    assert entry == recorded.event_id
    assert story.sweep(day(4)) == 0

    story.now = at(day(4), 10)
    mark(story, entry)

    [marked] = story.events(DoseNotGivenEnteredInError)
    assert (marked.entry_id, marked.order_id, marked.day, marked.slot, marked.reason) == (
        entry, order, day(2), 1, "charted on the wrong client",
    )  # fmt: skip
    assert story.sweep(day(4)) == 1
    assert missed(story) == [(day(2), 1)]


def test_a_mark_is_refused_for_an_unknown_id_a_blank_reason_and_a_second_time() -> None:
    story = Story()
    order = story.prescribe()
    entry = not_given(story, order, day(1))
    story.now = at(day(2), 10)

    with pytest.raises(NotFound) as unknown:
        mark(story, uuid4())
    with pytest.raises(NotFound) as an_order:
        mark(story, order)
    with pytest.raises(InvalidInput) as blank:
        mark(story, entry, " \u200b ")
    assert story.events(DoseNotGivenEnteredInError) == []
    mark(story, entry)
    with pytest.raises(RuleViolation) as twice:
        mark(story, entry)

    assert (unknown.value.field, unknown.value.rule) == ("entryId", "unknown-entry")
    assert an_order.value.rule == "unknown-entry"
    assert (blank.value.field, blank.value.rule) == ("reason", "reason-required")
    assert (twice.value.field, twice.value.rule) == ("entryId", "not-in-error")
    assert "already marked entered in error on 2026-01-02 by nurse-kim" in twice.value.message
    assert "wrong client" not in twice.value.message, "the reason is never quoted back"
    assert len(story.events(DoseNotGivenEnteredInError)) == 1


def test_another_dose_not_given_that_stands_still_accounts_for_the_day() -> None:
    story = Story()
    order = story.prescribe(dose="60", schedule=Schedule(times_per_day=2))
    first = not_given(story, order, day(1), slot=1)
    second = not_given(story, order, day(1), slot=2)

    story.now = at(day(2), 10)
    mark(story, first)
    assert story.sweep(day(2)) == 0
    mark(story, second)
    assert story.sweep(day(2)) == 1


def test_the_record_folded_from_its_events_knows_the_mark() -> None:
    story = Story()
    order = story.prescribe()
    entry = not_given(story, order, day(1))
    story.now = at(day(2), 10)
    mark(story, entry)

    folded = MedicationRecord(story.record.client_id)
    for recorded in story.record.pending:
        folded.apply(recorded.event)

    assert day(1) not in folded.orders[order].not_given
    with pytest.raises(RuleViolation):
        dispensing.enter_not_given_in_error(
            folded, story.stamp(NURSE), story.rules, NotGivenInError(entry, "again")
        )


def test_the_dosing_view_names_the_entry_and_its_mark_by_the_entry_id() -> None:
    """Rows are (client, order, medication, day, slot, status, amount, unit, detail, ref_id,
    ...): the mark is found as a dose's is, by its day, slot and ``ref_id``."""
    story = Story()
    order = story.prescribe()
    entry = not_given(story, order, day(1))
    story.now = at(day(2), 10)
    mark(story, entry)
    [recorded], [marked] = story.events(DoseNotGiven), story.events(DoseNotGivenEnteredInError)

    [row] = dosing.rows(Positioned(1, recorded))
    [mark_row] = dosing.rows(Positioned(2, marked))

    assert (row[3], row[4], row[5], row[9]) == (day(1), 1, dosing.NOT_GIVEN, entry)
    assert (mark_row[3], mark_row[4], mark_row[5], mark_row[9]) == (
        day(1), 1, dosing.NOT_GIVEN_IN_ERROR, entry,
    )  # fmt: skip
    assert mark_row[8] == "charted on the wrong client"
    assert dosing.NOT_GIVEN_IN_ERROR in dosing.MARKS


def test_a_hold_the_entry_completed_stands_and_its_day_is_missed_after() -> None:
    story = Story()
    order = story.prescribe()
    story.now = at(day(3), 8)
    story.sweep(day(3))
    entry = not_given(story, order, day(3))
    assert story.sweep(day(4)) == 0
    [held] = story.events(OrderHeld)

    story.now = at(day(4), 10)
    mark(story, entry)

    assert story.sweep(day(4)) == 1
    assert missed(story) == [(day(1), 1), (day(2), 2), (day(3), 3)]
    assert story.events(OrderHeld) == [held], "held once, until a prescriber lifts it"
    assert story.record.orders[order].hold is not None
