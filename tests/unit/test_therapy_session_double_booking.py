"""A client is booked into one session at a time: a second booking during another of their
sessions is refused, so one missed appointment is not two no-shows in a row."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest
from alert_story import THERAPIST, Story

from carecoord.events.therapy import Modality, SessionFormat, SessionScheduled
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def book(story: Story, starts: datetime, minutes: int = 50) -> UUID:
    return story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=[story.client_id], modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=starts, planned_minutes=minutes,
        )
    )  # fmt: skip


def booked(story: Story) -> int:
    return sum(isinstance(e, SessionScheduled) for e in story.events())


@pytest.mark.parametrize(("offset", "minutes"), [(0, 50), (49, 50), (-30, 31), (-60, 240)])
def test_a_booking_during_another_session_is_refused_and_records_nothing(
    offset: int, minutes: int
) -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    first = book(story, starts)
    with pytest.raises(RuleViolation) as refusal:
        book(story, starts + timedelta(minutes=offset), minutes)
    assert (refusal.value.field, refusal.value.rule) == ("scheduledFor", "client-booked-then")
    assert str(first) in refusal.value.message
    assert booked(story) == 1


def test_the_next_slot_and_a_late_cancelled_slot_are_free() -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    cancelled = book(story, starts)
    book(story, starts + timedelta(minutes=50))
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=cancelled,
            attendance=[(story.client_id, Outcome.LATE_CANCELLED)], rules=story.rules,
        )
    )  # fmt: skip
    book(story, starts)
    assert booked(story) == 3


def correct(story: Story, session_id: UUID, client_id: UUID, outcome: Outcome) -> None:
    attended = outcome is Outcome.ATTENDED
    story.run(
        therapy.correct_outcome(
            story.stamp(THERAPIST), client_id=client_id, session_id=session_id,
            outcome=outcome, duration_minutes=50 if attended else None,
            reason="they came after all", rules=story.rules,
        )
    )  # fmt: skip


@pytest.mark.parametrize("outcome", [Outcome.ATTENDED, Outcome.NO_SHOW])
def test_a_late_cancellation_is_not_corrected_into_a_slot_booked_since(outcome: Outcome) -> None:
    """Its time was freed and booked again, and the correction put the client in two sessions
    at once, attended or missed, where a booking then is refused."""
    story = Story()
    starts = story.now + timedelta(hours=1)
    cancelled = book(story, starts)
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=cancelled,
            attendance=[(story.client_id, Outcome.LATE_CANCELLED)], rules=story.rules,
        )
    )  # fmt: skip
    since = book(story, starts + timedelta(minutes=30))
    story.later(hours=3)
    before = len(story.events())
    with pytest.raises(RuleViolation) as refusal:
        correct(story, cancelled, story.client_id, outcome)
    assert (refusal.value.field, refusal.value.rule) == ("outcome", "client-booked-then")
    assert str(since) in refusal.value.message
    assert len(story.events()) == before
