"""A day's methadone is one day's intake whichever order it was given under: a take-home
bottle charted late under an order stopped that morning (handed over before the stop) and a
dose at the window under the order written after the stop were both recorded for the same
day, each order's slots seeing only its own, and the client had two days' doses for one."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.medication import DoseAdministered, TakeHomeDispensed
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome


def stopped_and_written_again() -> tuple[Story, UUID, UUID]:
    """Methadone 60 mg dosed on day 1 under ``stopped``, stopped at 9 on day 2 and written
    again from day 2 as ``again``."""
    story = Story()
    stopped = story.prescribe()
    story.dose(stopped, day(1))
    story.eligible(7)
    story.on(day(2), 9)
    story.discontinue(stopped, stopped_at=at(day(2), 9))
    again = story.prescribe(start=day(2))
    story.on(day(2), 11)
    return story, stopped, again


def handed_at_eight(story: Story, order: UUID) -> None:
    """Bottles for days 2 and 3 under ``order``, handed over at 8 on day 2, charted now."""
    given = TakeHome(
        order, day(2), 2, "oral solution", (Bottle("B1", "LOT-7"), Bottle("B2", "LOT-7")),
        handed_over_at=at(day(2), 8),
    )  # fmt: skip
    dispensing.dispense_take_home(
        story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
    )


def test_a_dose_on_a_day_a_bottle_of_the_stopped_order_covers_is_refused() -> None:
    story, stopped, again = stopped_and_written_again()
    handed_at_eight(story, stopped)

    with pytest.raises(RuleViolation) as refused:
        story.dose(again, day(2), hour=10)

    assert (refused.value.field, refused.value.rule) == ("amount", "daily-amount")
    assert story.events(DoseAdministered)[-1].day == day(1)


def test_a_late_bottle_for_a_day_dosed_under_the_new_order_is_refused() -> None:
    story, stopped, again = stopped_and_written_again()
    story.dose(again, day(2), hour=10)

    with pytest.raises(RuleViolation) as refused:
        handed_at_eight(story, stopped)

    assert (refused.value.field, refused.value.rule) == ("firstDay", "one-dose-per-slot")
    assert story.events(TakeHomeDispensed) == []
    assert story.record.orders[again].given_amount(day(2)) == Decimal(60)
