"""Guest dosing elsewhere starts after the last day dosed here: arranged over a day whose
dose was given at this window, or over take-home bottles the client holds, the guest site
was told to dose the client on days the client already had their dose."""

from __future__ import annotations

from datetime import date

import pytest
from medication_story import Story, day

from carecoord.events.medication import GuestDosingArranged
from carecoord.services.kernel.errors import RuleViolation


def refused(story: Story, start: date, end: date) -> RuleViolation:
    recorded = len(story.record.pending)
    with pytest.raises(RuleViolation) as refusal:
        story.guest(start, end)
    assert len(story.record.pending) == recorded
    return refusal.value


def test_guest_dosing_over_a_day_dosed_here_is_refused() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))

    refusal = refused(story, day(1), day(5))

    assert (refusal.field, refusal.rule) == ("start", "start-after-last-dispensed")
    assert "through 2026-01-01" in refusal.message
    assert "start guest dosing on 2026-01-02 or later" in refusal.message


def test_guest_dosing_over_take_homes_in_hand_is_refused() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(3)
    story.take_home(order, day(1), day(2), 3)

    assert refused(story, day(3), day(9)).rule == "start-after-last-dispensed"

    story.guest(day(5), day(9))
    assert len(story.events(GuestDosingArranged)) == 1


def test_guest_dosing_from_the_day_after_the_last_dose_is_arranged() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.guest(day(2), day(6))

    assert len(story.events(GuestDosingArranged)) == 1
