"""A hold, its lift, a stop and an order marked in error say why: a reason of spaces only
passed the event's "at least one character" and was recorded, so the order read "stopped on
... by dr-lee:" with nothing after it. It is refused naming the field and records nothing."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from medication_story import Story

from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import prescribing

Step = Callable[[Story, UUID, str], None]


def hold(story: Story, order: UUID, reason: str) -> None:
    story.hold(order, reason)


def stop(story: Story, order: UUID, reason: str) -> None:
    story.discontinue(order, reason=reason)


def in_error(story: Story, order: UUID, reason: str) -> None:
    prescribing.discontinue(story.record, story.stamp(), story.rules, order, reason, in_error=True)


@pytest.mark.parametrize("step", [hold, stop, in_error])
def test_a_reason_of_blanks_is_refused_and_a_reason_is_kept_trimmed(step: Step) -> None:
    story = Story()
    order = story.prescribe()
    recorded = len(story.record.pending)

    with pytest.raises(InvalidInput) as refused:
        step(story, order, " \t ")

    assert (refused.value.field, refused.value.rule) == ("reason", "reason-required")
    assert len(story.record.pending) == recorded
    step(story, order, "  intoxicated at the window ")
    assert story.record.pending[-1].event.reason == "intoxicated at the window"  # type: ignore[attr-defined]


def test_a_hold_is_lifted_saying_why_as_it_was_placed() -> None:
    story = Story()
    order = story.prescribe()
    story.hold(order, "intoxicated")
    recorded = len(story.record.pending)

    with pytest.raises(InvalidInput) as refused:
        story.resume(order, "\u200b \u2060")

    assert (refused.value.field, refused.value.rule) == ("reason", "reason-required")
    assert len(story.record.pending) == recorded
    story.resume(order, " sober, assessed ")
    assert story.record.pending[-1].event.reason == "sober, assessed"  # type: ignore[attr-defined]
