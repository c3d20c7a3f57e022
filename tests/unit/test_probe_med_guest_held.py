"""Days of a guest stay the methadone order was on hold are days without methadone: the guest
site is told a held order is not to be dosed, yet a client held from the third day of a stay
to their return a week later counted as dosed elsewhere throughout, and was given their full
dose on the order's resumption with no initial-dose cap."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.induction import INITIAL_DOSE


def test_a_stay_held_to_the_return_is_a_restart() -> None:
    story = Story()
    order = story.prescribe("methadone", "60", start=day(1))
    story.dose(order, day(1))
    guest_id = story.guest(day(2), day(20))
    story.on(day(4))
    story.hold(order, "guest site reports the client intoxicated")
    story.on(day(12))
    story.back_from_guest(guest_id, day(12))
    story.resume(order, "assessed on return")
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(12))

    assert (refused.value.field, refused.value.rule) == ("amount", INITIAL_DOSE)
    assert refused.value.details == {"daysMissed": 8}
    assert len(story.record.pending) == recorded
    story.dose(order, day(12), "50")
