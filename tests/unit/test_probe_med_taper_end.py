"""A taper that gives no end keeps the end of the order it replaces; a step starting after
that end was accepted and never reached (the order ended first, and with it every dose),
so the client's taper stopped short. It is refused naming the step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import Story, day

from carecoord.events.medication import TaperOrdered, TaperStep
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import prescribing
from carecoord.services.medication.prescribing import Taper


def taper(story: Story, order: UUID, steps: list[tuple[date, str]], end: date | None) -> None:
    given = Taper(
        order,
        tuple(TaperStep(start=d, dose=Decimal(x)) for d, x in steps),
        end=end,
        reason="client request",
    )
    prescribing.taper(story.record, story.stamp(), story.rules, uuid4(), given)


def test_a_step_after_the_end_the_taper_keeps_is_refused() -> None:
    story = Story()
    order = story.prescribe(end=day(20))
    recorded = len(story.record.pending)

    with pytest.raises(InvalidInput) as refused:
        taper(story, order, [(day(2), "50"), (day(10), "40"), (day(25), "30")], None)

    assert (refused.value.field, refused.value.rule) == ("steps.2.start", "end-after-start")
    assert "2026-01-20" in refused.value.message
    assert len(story.record.pending) == recorded


def test_a_taper_inside_the_end_or_with_a_later_end_is_ordered() -> None:
    story = Story()
    order = story.prescribe(end=day(20))

    taper(story, order, [(day(2), "50"), (day(25), "30")], day(30))

    [ordered] = story.events(TaperOrdered)
    assert ordered.end == day(30)
