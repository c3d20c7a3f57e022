"""A taper's refusals name the field of the taper they are about: a first step before the
order's start, or on a day already dosed under it, was refused naming start, and a first
step's dose of four decimal places naming dose; taperOrder has neither field, its steps
have them, so a form could not show the prescriber which entry to correct."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import DomainError


def refused(story: Story, steps: list[tuple[int, str]]) -> tuple[str, str]:
    order = next(iter(story.record.orders))
    with pytest.raises(DomainError) as refusal:
        story.taper(order, [(day(n), dose) for n, dose in steps])
    return refusal.value.field, refusal.value.rule


def test_a_tapers_refusals_name_its_steps() -> None:
    story = Story()
    order = story.prescribe("methadone", "60", start=day(3))
    story.on(day(4))
    story.dose(order, day(4))

    assert refused(story, [(2, "50")]) == ("steps.0.start", "start-after-prior")
    assert refused(story, [(4, "50")]) == ("steps.0.start", "start-after-last-dispensed")
    assert refused(story, [(5, "50.0001"), (8, "40")]) == ("steps.0.dose", "dose-precision")
    assert refused(story, [(5, "50"), (8, "40.0001")]) == ("steps.1.dose", "dose-precision")
    assert refused(story, [(5, "2000")]) == ("steps.0.dose", "dose-limit")
