"""Days of guest dosing count as methadone in hand only while an order of it was in force: a
client whose methadone was stopped while they were away (the guest site reported them gone)
and who came back a week later was not in induction again, as the whole stay counted as
dosed elsewhere, and their old maintenance dose was written and given with no initial-dose
cap, after six days without methadone."""

from __future__ import annotations

import pytest
from medication_story import Story, at, day

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.induction import INITIAL_DOSE


def back_on_day_12(stopped_on: int) -> Story:
    """Methadone dosed here on day 1, guest dosing elsewhere from day 2 to day 20, the order
    stopped the morning of ``stopped_on`` and the stay ended on day 12, the client back."""
    story = Story()
    order = story.prescribe("methadone", "60", start=day(1))
    story.dose(order, day(1))
    guest_id = story.guest(day(2), day(20))
    story.on(day(12))
    story.discontinue(order, stopped_at=at(day(stopped_on), 8))
    story.back_from_guest(guest_id, day(12))
    return story


def test_guest_days_after_the_stop_are_days_without_methadone() -> None:
    story = back_on_day_12(stopped_on=5)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("methadone", "60", start=day(12), induction=None)

    assert (refused.value.field, refused.value.rule) == ("acknowledgements", INITIAL_DOSE)
    assert refused.value.details == {"daysMissed": 6}
    assert len(story.record.pending) == recorded


def test_guest_days_up_to_the_stop_are_methadone_in_hand() -> None:
    story = back_on_day_12(stopped_on=11)

    order = story.prescribe("methadone", "60", start=day(12), induction=None)

    assert order in story.record.orders
