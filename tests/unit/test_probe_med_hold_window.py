"""A dose charted late for a time the order was on hold is refused, like one given during
the hold: the hold was lifted since, but the dose was given while it lasted."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.medication import DoseAdministered
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, GivenDose, Replacement, TakeHome


def held_on_day_2() -> tuple[Story, UUID, UUID]:
    """Dosed on day 1; on day 2 held from 08:00 to 12:00; now 13:00 on day 2."""
    story = Story()
    order = story.prescribe()
    first = story.dose(order, day(1))
    story.on(day(2), 8)
    story.hold(order, "intoxicated")
    story.on(day(2), 12)
    story.resume(order, "assessed, sober")
    story.on(day(2), 13)
    return story, order, first


def given(story: Story, order: UUID, hour: int) -> None:
    dose = GivenDose(order, Decimal(60), "oral solution", 1, at(day(2), hour), lot="L1")
    dispensing.administer(story.record, story.stamp(NURSE), story.rules, uuid4(), dose, site="OTP")


def test_a_dose_charted_for_a_time_inside_a_lifted_hold_is_refused() -> None:
    story, order, _ = held_on_day_2()
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        given(story, order, 10)

    assert (refused.value.field, refused.value.rule) == ("givenAt", "order-active")
    assert "on hold from 2026-01-02 08:00 to 2026-01-02 12:00" in refused.value.message
    assert len(story.record.pending) == recorded


def test_a_dose_after_the_hold_was_lifted_or_before_it_was_placed_is_given() -> None:
    story, order, _ = held_on_day_2()

    given(story, order, 12)

    assert len(story.events(DoseAdministered)) == 2


def test_a_replacement_charted_inside_a_hold_is_refused() -> None:
    story = Story()
    order = story.prescribe()
    story.on(day(1), 7)
    spilled = story.dose(order, day(1))  # 09:00 (the clock is behind; the story allows it)
    story.on(day(1), 10)
    story.hold(order, "sedated after the dose")
    story.on(day(1), 11)
    story.resume(order, "alert again")
    story.on(day(1), 12)
    replacement = Replacement(
        order, spilled, Decimal(60), "oral solution", "vomited", given_at=at(day(1), 10)
    )
    with pytest.raises(RuleViolation) as refused:
        dispensing.replace_dose(
            story.record, story.stamp(NURSE), story.rules, uuid4(), replacement, site="OTP"
        )
    assert (refused.value.field, refused.value.rule) == ("givenAt", "order-active")


def test_take_homes_handed_over_inside_a_lifted_hold_are_refused() -> None:
    story, order, _ = held_on_day_2()
    story.eligible(2)
    bottles = (Bottle("B1", "LOT-7"), Bottle("B2", "LOT-7"))
    handed = TakeHome(order, day(3), 2, "oral solution", bottles, handed_over_at=at(day(2), 11))

    with pytest.raises(RuleViolation) as refused:
        dispensing.dispense_take_home(
            story.record, story.stamp(NURSE), story.rules, uuid4(), handed, program="OTP"
        )

    assert (refused.value.field, refused.value.rule) == ("handedOverAt", "order-active")
