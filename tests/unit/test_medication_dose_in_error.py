"""A dose charted in error is corrected by a new event: its slot is free again, it counts as
not given (the missed-dose rule finds the day), a replacement of it is refused, and each
refusal names its field and rule and records nothing."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Actor, Role
from carecoord.events.medication import DoseEnteredInError, DoseMissed
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import InError, Replacement
from carecoord.services.medication.record import MedicationRecord

SWEEP = Actor(id="missed-dose-sweep", role=Role.SYSTEM)


def mark(story: Story, dose_id: UUID, reason: str = "charted on the wrong client") -> None:
    dispensing.enter_in_error(
        story.record, story.stamp(NURSE), story.rules, InError(dose_id, reason)
    )


def replace(story: Story, order: UUID, original: UUID, reason: str = "spilled") -> UUID:
    dose_id = uuid4()
    given = Replacement(order, original, Decimal(60), "oral solution", reason, at(day(1), 10))
    dispensing.replace_dose(
        story.record, story.stamp(NURSE), story.rules, dose_id, given, site="OTP"
    )
    return dose_id


def test_a_dose_in_error_frees_its_slot_and_repeats_what_was_charted() -> None:
    story = Story()
    order = story.prescribe()
    wrong = story.dose(order, day(1))
    story.on(day(1), 11)

    mark(story, wrong, "  charted on the wrong client  ")

    [event] = story.events(DoseEnteredInError)
    assert (event.dose_id, event.order_id, event.day, event.slot) == (wrong, order, day(1), 1)
    assert (event.amount, event.lot, event.dosage_form, event.site) == (
        Decimal(60),
        "L1",
        "oral solution",
        "OTP",
    )
    assert (event.strength, event.dea_schedule) == ("10 mg/mL", "CII")
    assert (event.reason, event.corrected_on, event.replaces_dose_id) == (
        "charted on the wrong client",
        day(1),
        None,
    )
    assert event.summary() == (
        "Dose entered in error: methadone 60 mg on 2026-01-01 (charted on the wrong client)"
    )
    assert story.record.orders[order].filled(day(1), 1) is None
    assert story.record.first_dose_day is None
    right = story.dose(order, day(1))
    assert story.record.orders[order].filled(day(1), 1) == right
    assert story.record.first_dose_day == day(1)


def test_a_second_marking_an_unknown_dose_and_a_blank_reason_are_refused() -> None:
    story = Story()
    order = story.prescribe()
    wrong = story.dose(order, day(1))
    mark(story, wrong)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as twice:
        mark(story, wrong)
    with pytest.raises(NotFound) as unknown:
        mark(story, uuid4())
    with pytest.raises(InvalidInput) as blank:
        mark(story, story.dose(order, day(2)), " \t ")

    assert (twice.value.field, twice.value.rule) == ("doseId", "not-in-error")
    assert "already marked entered in error on 2026-01-01 by nurse-kim" in twice.value.message
    assert (unknown.value.field, unknown.value.rule) == ("doseId", "unknown-dose")
    assert (blank.value.field, blank.value.rule) == ("reason", "reason-required")
    assert len(story.record.pending) == recorded + 1  # the dose on day 2 alone


def test_a_dose_of_another_client_is_not_found_on_this_one() -> None:
    story, other = Story(), Story()
    dose = story.dose(story.prescribe(), day(1))
    other.prescribe()
    with pytest.raises(NotFound) as refused:
        mark(other, dose)
    assert refused.value.rule == "unknown-dose"


def test_a_dose_in_error_is_not_replaced() -> None:
    story = Story()
    order = story.prescribe()
    wrong = story.dose(order, day(1))
    mark(story, wrong)
    with pytest.raises(RuleViolation) as refused:
        replace(story, order, wrong)
    assert (refused.value.field, refused.value.rule) == ("replacesDoseId", "dose-in-error")


def test_a_replaced_dose_waits_for_its_replacement_to_be_marked_first() -> None:
    story = Story()
    order = story.prescribe()
    original = story.dose(order, day(1))
    replacement = replace(story, order, original)
    with pytest.raises(RuleViolation) as refused:
        mark(story, original)
    assert (refused.value.field, refused.value.rule) == ("doseId", "replacement-first")
    assert str(replacement) in refused.value.message

    mark(story, replacement, "never given: the spill was on another client's cup")
    state = story.record.orders[order]
    assert story.events(DoseEnteredInError)[-1].replaces_dose_id == original
    assert state.given_amount(day(1)) == 60  # the original stands again, as lost
    assert state.filled(day(1), 1) == original
    again = replace(story, order, original, "spilled, replaced again")
    assert state.replaced[original] == again

    mark(story, again)
    mark(story, original)
    assert state.filled(day(1), 1) is None
    assert state.given_amount(day(1)) == 0


def test_the_missed_dose_rule_reads_a_day_in_error_as_not_given() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    wrong = story.dose(order, day(2))
    story.on(day(3))
    mark(story, wrong)

    dispensing.record_missed(
        story.record, Stamp(SWEEP, clock=lambda: at(day(3), 1)), story.rules, day(3)
    )

    assert [(e.order_id, e.day) for e in story.events(DoseMissed)] == [(order, day(2))]


def test_replayed_history_holds_the_same_state() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    mark(story, story.dose(order, day(2)))
    replayed = MedicationRecord.replay(None, story.record.pending)
    assert replayed is not None
    live, again = story.record.orders[order], replayed.orders[order]
    assert (again.given, again.doses_on, again.in_error) == (
        live.given,
        live.doses_on,
        live.in_error,
    )
    assert replayed.first_dose_day == story.record.first_dose_day == day(1)
