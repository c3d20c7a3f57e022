"""A dose not given is recorded only for a dose that was due here: under an order in force
on that day (on hold too: the hold is often why), on a dosing day (a long-acting injection:
in its window), dispensed at this window, the client not guest dosing elsewhere. Any other is
refused and records nothing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Schedule
from carecoord.events.medication import DoseNotGiven, NotGivenReason
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import NotGiven


def not_given(story: Story, order: UUID, on: date, reason: NotGivenReason) -> None:
    given = NotGiven(order, reason, 1, occurred_at=at(on, 9))
    dispensing.not_given(story.record, story.stamp(NURSE), story.rules, given)


def refused(story: Story, order: UUID, on: date) -> RuleViolation:
    recorded = len(story.record.pending)
    with pytest.raises(RuleViolation) as refusal:
        not_given(story, order, on, NotGivenReason.DECLINED)
    assert len(story.record.pending) == recorded
    return refusal.value


def test_not_given_under_a_stopped_or_in_error_order_is_refused() -> None:
    story, other = Story(), Story()
    stopped, wrong = story.prescribe(), other.prescribe()
    story.discontinue(stopped)
    other.discontinue_in_error(wrong)

    assert (refused(story, stopped, day(1)).rule, refused(other, wrong, day(1)).rule) == (
        "order-active",
        "order-active",
    )


def test_not_given_before_the_start_or_on_a_day_no_dose_is_due_is_refused() -> None:
    story, injected, alternate = Story(), Story(), Story()
    later = story.prescribe(start=day(5))
    monthly = injected.prescribe("naltrexone-xr", "380", route="intramuscular",
                                 schedule=Schedule(every_days=28))  # fmt: skip
    injected.dose(monthly, day(1), "380", form="injection")
    every_other = alternate.prescribe(schedule=Schedule(every_days=2))

    assert refused(story, later, day(1)).rule == "order-active"
    assert refused(injected, monthly, day(2)).rule == "injection-interval"
    assert refused(alternate, every_other, day(2)).rule == "dosing-day"


def test_not_given_for_a_pharmacy_order_is_refused() -> None:
    story = Story()
    sertraline = story.prescribe("sertraline", "50")

    assert refused(story, sertraline, day(1)).rule == "clinic-dispensed"


def test_not_given_under_a_held_order_or_on_a_due_day_is_recorded() -> None:
    story = Story()
    order = story.prescribe()
    not_given(story, order, day(1), NotGivenReason.INTOXICATED)
    story.hold(order, "intoxicated at the window")
    not_given(story, order, day(1), NotGivenReason.CLINICAL_HOLD)

    assert [e.reason for e in story.events(DoseNotGiven)] == [
        NotGivenReason.INTOXICATED,
        NotGivenReason.CLINICAL_HOLD,
    ]
