"""Methadone taken at a guest site counts as exposure for the interaction rules: a client back
from two weeks of guest dosing, their methadone stopped on their return, took methadone the
day before, and naltrexone written that day was met by no rule (the last dose here was two
weeks back), so precipitated withdrawal was one prescription away."""

from __future__ import annotations

import pytest
from medication_story import Story, at, day

from carecoord.services.medication.exposure import picture
from carecoord.services.medication.findings import HardStop


def back_from_guest_dosing(stopped_on: int) -> Story:
    """Methadone dosed here on day 1, guest dosing elsewhere from day 2 to day 20, the order
    stopped the morning of ``stopped_on``."""
    story = Story()
    order = story.prescribe("methadone", "60", start=day(1))
    story.dose(order, day(1))
    story.guest(day(2), day(20))
    story.on(day(21), 10)
    story.discontinue(order, stopped_at=at(day(stopped_on), 8))
    return story


def test_naltrexone_the_day_after_guest_dosing_on_methadone_is_a_hard_stop() -> None:
    story = back_from_guest_dosing(21)

    with pytest.raises(HardStop) as refused:
        story.prescribe("naltrexone", "50", start=day(21))

    counted = refused.value.match.exposure
    assert counted is not None
    assert refused.value.match.rule.id == "naltrexone-opioid-agonist"
    assert (counted.basis, counted.through) == (
        f"guest dosing elsewhere through {day(20)}",
        day(20),
    )
    assert counted.clear_from == day(28)
    assert story.types()[-1] == "OrderDiscontinued", "a refused attempt creates no order"


def test_guest_days_after_the_stop_are_not_methadone_taken() -> None:
    story = back_from_guest_dosing(12)

    [methadone] = picture(story.record, story.rules, day(21))

    assert methadone.through == day(12)
