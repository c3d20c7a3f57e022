"""A split dose divides into doses the window can measure: 100 mg in 3 doses a day was
ordered as 33.333... mg each, and its take-home bottles were refused with an error about
``bottles.0.amount``, a field no one sent. The order is refused, naming the dose and the
rule; a dose that splits evenly (60 mg in 2, 100 mg in 4) is ordered as before."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from medication_story import Story, day

from carecoord.events import Schedule
from carecoord.events.medication import TakeHomeDispensed
from carecoord.services.kernel.errors import InvalidInput

RULE = "split-dose-precision"


def refused(story: Story, **order: object) -> InvalidInput:
    recorded = len(story.record.pending)
    with pytest.raises(InvalidInput) as refusal:
        story.prescribe(**order)  # type: ignore[arg-type]
    assert len(story.record.pending) == recorded
    return refusal.value


def test_a_dose_that_does_not_split_into_measurable_doses_is_refused() -> None:
    story = Story()

    refusal = refused(story, dose="100", schedule=Schedule(times_per_day=3))

    assert (refusal.field, refusal.rule) == ("dose", RULE)
    assert "100 mg in 3 doses a day" in refusal.message


def test_a_dose_change_or_taper_step_that_does_not_split_is_refused() -> None:
    story = Story()
    order = story.prescribe(dose="90", schedule=Schedule(times_per_day=3))
    steps: list[tuple[date, str]] = [(day(2), "60"), (day(9), "50")]

    with pytest.raises(InvalidInput) as change:
        story.change(order, "80", day(2))
    with pytest.raises(InvalidInput) as step:
        story.taper(order, steps)

    assert (change.value.field, change.value.rule) == ("dose", RULE)
    assert (step.value.field, step.value.rule) == ("steps.1.dose", RULE)


def test_an_even_split_is_ordered_and_taken_home_as_before() -> None:
    story = Story()
    order = story.prescribe(dose="100", schedule=Schedule(times_per_day=4))
    story.dose(order, day(1), "25", slot=1)
    story.eligible(7)

    story.take_home(order, day(1), day(2), 1)

    [handed] = story.events(TakeHomeDispensed)
    assert [b.amount for b in handed.bottles] == [Decimal(25)] * 4
