"""The label's day 2 of buprenorphine induction is the client's second day dosed, not the
calendar day after the first: a client given 8 mg who missed the next day was given 24 mg
the day after that, above the 16 mg cap, with no acknowledgement asked of the prescriber and
nothing held at the window, though their tolerance was no higher than on the day missed."""

from __future__ import annotations

from uuid import UUID

import pytest
from medication_story import Story, day

from carecoord.events.medication import DoseAdministered
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.induction import BUPRENORPHINE_INITIAL_DOSE

SL = "sublingual"
FILM = "sublingual film"


def inducted_then_missed_a_day() -> tuple[Story, UUID]:
    """8 mg on day 1, none on day 2; the clock on day 3."""
    story = Story()
    order = story.prescribe("buprenorphine", "8", route=SL, start=day(1), induction=None)
    story.dose(order, day(1), "8", form=FILM)
    story.on(day(3))
    return story, order


def test_a_dose_change_on_the_second_day_dosed_is_held_to_16_mg() -> None:
    story, order = inducted_then_missed_a_day()
    with pytest.raises(RuleViolation) as refused:
        story.change(order, "24", day(3), induction=None)
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        BUPRENORPHINE_INITIAL_DOSE,
    )
    assert "above the day 2 induction cap of 16 mg" in str(refused.value)
    story.change(order, "16", day(3), induction=None)


def test_the_window_holds_the_second_day_dosed_and_not_the_one_after() -> None:
    """An order raised ahead, on day 1 for day 3, is not asked (day 2 may yet be dosed); the
    window holds day 3 to 16 mg once day 2 went by undosed, and day 4 to nothing."""
    story = Story()
    order = story.prescribe("buprenorphine", "8", route=SL, start=day(1), induction=None)
    story.dose(order, day(1), "8", form=FILM)
    story.on(day(1), 12)
    raised = story.change(order, "24", day(3), induction=None)
    story.on(day(3))
    with pytest.raises(RuleViolation) as refused:
        story.dose(raised, day(3), "24", form=FILM)
    assert (refused.value.field, refused.value.rule) == ("amount", BUPRENORPHINE_INITIAL_DOSE)
    assert "day 2 of induction" in str(refused.value)
    assert "at most 16 mg more" in str(refused.value)
    story.dose(raised, day(3), "16", form=FILM)
    story.on(day(4))
    story.dose(raised, day(4), "24", form=FILM)
    assert len(story.events(DoseAdministered)) == 3


def test_days_dosed_in_a_row_are_held_as_before() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "8", route=SL, start=day(1), induction=None)
    story.dose(order, day(1), "8", form=FILM)
    story.on(day(2))
    story.change(order, "16", day(2), induction=None)
    [second] = [o for o in story.record.orders.values() if o.prior_order_id == order]
    story.dose(second.order_id, day(2), "16", form=FILM)
    story.on(day(3))
    story.change(second.order_id, "24", day(3), induction=None)
