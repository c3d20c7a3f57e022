"""A medication stopped and prescribed again starts after the last day dispensed under the
stopped order, as a dose change does: restarted on the day of the morning's dose, the new
order took a second full dose for that day (or one the client already holds as a
take-home bottle)."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.events.medication import MedicationPrescribed
from carecoord.services.kernel.errors import RuleViolation


def refused_restart(story: Story, start_day: int) -> RuleViolation:
    recorded = len(story.record.pending)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe(dose="80", start=day(start_day))
    assert len(story.record.pending) == recorded
    return refused.value


def test_a_restart_on_the_day_of_a_dose_under_the_stopped_order_is_refused() -> None:
    story = Story()
    first = story.prescribe()
    story.dose(first, day(1))
    story.on(day(1), 11)
    story.discontinue(first, reason="re-ordered at a new dose")

    refusal = refused_restart(story, 1)

    assert (refusal.field, refusal.rule) == ("start", "start-after-last-dispensed")
    assert f"order {first} has doses given or taken home through 2026-01-01" in refusal.message
    story.prescribe(dose="50", start=day(2))
    assert len(story.events(MedicationPrescribed)) == 2


def test_a_restart_inside_take_homes_the_client_holds_is_refused() -> None:
    story = Story()
    first = story.prescribe()
    story.dose(first, day(1))
    story.eligible(2)
    story.take_home(first, day(1), day(2), 2)
    story.discontinue(first, reason="re-ordered")

    assert refused_restart(story, 3).rule == "start-after-last-dispensed"
    story.prescribe(dose="70", start=day(4))


def test_a_restart_after_an_order_never_dosed_is_not_held_back() -> None:
    story = Story()
    never = story.prescribe()
    story.discontinue(never, reason="not started")

    story.prescribe(dose="80", start=day(1))
    assert len(story.events(MedicationPrescribed)) == 2
