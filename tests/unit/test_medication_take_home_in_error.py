"""A take-home charted in error is corrected by a new event: the days its bottles covered are
free again (a take-home or a dose may be charted for them), they count in no supply or dosed
day (the missed-dose rule finds a past one), and each refusal names its field and rule and
records nothing."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Actor, Role
from carecoord.events.medication import DoseMissed, TakeHomeDispensed, TakeHomeEnteredInError
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import TakeHomeInError
from carecoord.services.medication.record import MedicationRecord

SWEEP = Actor(id="missed-dose-sweep", role=Role.SYSTEM)


def started(max_days: int = 7) -> tuple[Story, UUID]:
    """A methadone order dosed on day 1, with take-homes of up to ``max_days`` allowed."""
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(max_days)
    return story, order


def handed(story: Story, order: UUID, first: int, days: int, on: int = 1) -> UUID:
    """Take-homes handed over on day ``on`` for ``days`` days from day ``first``: its id."""
    story.take_home(order, day(on), day(first), days)
    return story.events(TakeHomeDispensed)[-1].dispense_id


def mark(story: Story, dispense_id: UUID, reason: str = "charted for the wrong client") -> None:
    dispensing.enter_take_home_in_error(
        story.record, story.stamp(NURSE), story.rules, TakeHomeInError(dispense_id, reason)
    )


def test_a_take_home_in_error_frees_its_days_and_repeats_what_was_charted() -> None:
    story, order = started()
    wrong = handed(story, order, first=2, days=3)
    story.on(day(1), 11)

    mark(story, wrong, "  charted for the wrong client  ")

    [charted] = story.events(TakeHomeDispensed)
    [event] = story.events(TakeHomeEnteredInError)
    assert (event.dispense_id, event.order_id, event.bottles) == (wrong, order, charted.bottles)
    assert (event.days_covered, event.handed_over_on, event.corrected_on) == (3, day(1), day(1))
    assert (event.dosage_form, event.strength, event.dea_schedule, event.site) == (
        "oral solution",
        "10 mg/mL",
        "CII",
        "OTP",
    )
    assert event.reason == "charted for the wrong client"
    assert event.summary() == (
        "Take-home entered in error: methadone 180 mg in 3 bottles handed over on 2026-01-01"
        " (charted for the wrong client)"
    )
    state = story.record.orders[order]
    assert [state.filled(day(n), 1) for n in (2, 3, 4)] == [None, None, None]
    assert story.record.take_home_days() == set()
    assert day(2) not in state.dispensed_days()


def test_the_days_are_charted_again_and_count_once_against_eligibility() -> None:
    story, order = started(max_days=3)
    wrong = handed(story, order, first=2, days=3)
    with pytest.raises(RuleViolation) as full:
        handed(story, order, first=5, days=1)
    assert full.value.rule == "take-home-eligibility"

    mark(story, wrong)
    right = handed(story, order, first=2, days=3)  # the same days, eligibility free again

    assert story.record.orders[order].filled(day(2), 1) == right
    story.on(day(2))
    mark(story, right, "never handed over: the client did not come")
    dose = story.dose(order, day(2))
    assert story.record.orders[order].filled(day(2), 1) == dose


def test_a_second_marking_an_unknown_take_home_and_a_blank_reason_are_refused() -> None:
    story, order = started()
    wrong = handed(story, order, first=2, days=1)
    mark(story, wrong)
    other = handed(story, order, first=3, days=1)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as twice:
        mark(story, wrong)
    with pytest.raises(NotFound) as unknown:
        mark(story, uuid4())
    with pytest.raises(InvalidInput) as blank:
        mark(story, other, " \t ")

    assert (twice.value.field, twice.value.rule) == ("dispenseId", "not-in-error")
    assert "already marked entered in error on 2026-01-01 by nurse-kim" in twice.value.message
    assert (unknown.value.field, unknown.value.rule) == ("dispenseId", "unknown-take-home")
    assert (blank.value.field, blank.value.rule) == ("reason", "reason-required")
    assert len(story.record.pending) == recorded
    assert story.record.orders[order].filled(day(3), 1) == other


def test_a_take_home_of_another_client_is_not_found_on_this_one() -> None:
    story, order = started()
    theirs = handed(story, order, first=2, days=1)
    other, _ = started()
    with pytest.raises(NotFound) as refused:
        mark(other, theirs)
    assert refused.value.rule == "unknown-take-home"


def test_a_dose_id_is_not_a_take_home_and_a_take_home_id_not_a_dose() -> None:
    story, order = started()
    wrong = handed(story, order, first=2, days=1)
    [given] = story.record.orders[order].charted
    with pytest.raises(NotFound) as dose_as_take_home:
        mark(story, given)
    with pytest.raises(NotFound) as take_home_as_dose:
        dispensing.enter_in_error(
            story.record,
            story.stamp(NURSE),
            story.rules,
            dispensing.InError(wrong, "wrong client"),
        )
    assert (dose_as_take_home.value.field, dose_as_take_home.value.rule) == (
        "dispenseId",
        "unknown-take-home",
    )
    assert (take_home_as_dose.value.field, take_home_as_dose.value.rule) == (
        "doseId",
        "unknown-dose",
    )


def test_the_missed_dose_rule_reads_a_past_day_in_error_as_not_dosed() -> None:
    story, order = started()
    wrong = handed(story, order, first=2, days=1)
    story.dose(order, day(3))
    story.on(day(4))
    mark(story, wrong, "never handed over")

    dispensing.record_missed(
        story.record, Stamp(SWEEP, clock=lambda: at(day(4), 1)), story.rules, day(4)
    )

    assert [(e.order_id, e.day) for e in story.events(DoseMissed)] == [(order, day(2))]


def test_replayed_history_holds_the_same_state() -> None:
    story, order = started()
    mark(story, handed(story, order, first=2, days=2))
    kept = handed(story, order, first=4, days=1)
    replayed = MedicationRecord.replay(None, story.record.pending)
    assert replayed is not None
    live, again = story.record.orders[order], replayed.orders[order]
    assert (again.take_home, again.take_home_in_error, again.handed_over) == (
        live.take_home,
        live.take_home_in_error,
        live.handed_over,
    )
    assert again.take_home == {(day(4), 1): kept}
    assert sum(b.amount for b in live.handed_over[kept].bottles) == Decimal(60)
