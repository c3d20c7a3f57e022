"""The minutes an attended session ran, from when it began, end by now (within the clock
tolerance): before, a session recorded ten minutes after it began was kept as 50 minutes
attended, minutes that had not yet happened. A refusal names durationMinutes and records
nothing; a correction to attended is held to the same."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from alert_story import THERAPIST, Story

from carecoord.events.therapy import Modality, SessionAttended, SessionFormat
from carecoord.services.kernel.clinical_time import CLOCK_TOLERANCE, IN_FUTURE
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def begun(story: Story, minutes_ago: int) -> UUID:
    """A session booked an hour ahead, now ``minutes_ago`` into it."""
    session_id = story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=[story.client_id], modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=story.now + timedelta(hours=1),
            planned_minutes=50,
        )
    )  # fmt: skip
    story.later(hours=1, minutes=minutes_ago)
    return session_id


def attend(story: Story, session_id: UUID, minutes: int) -> None:
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id, duration_minutes=minutes,
            attendance=[(story.client_id, Outcome.ATTENDED)], rules=story.rules,
        )
    )  # fmt: skip


def attended(story: Story) -> list[int]:
    return [e.duration_minutes for e in story.events() if isinstance(e, SessionAttended)]


def test_minutes_that_run_past_now_are_refused_naming_the_field() -> None:
    story = Story()
    session_id = begun(story, 10)
    with pytest.raises(InvalidInput) as refusal:
        attend(story, session_id, 50)
    assert (refusal.value.field, refusal.value.rule) == ("durationMinutes", IN_FUTURE)
    assert str(session_id) in refusal.value.message
    assert attended(story) == []
    attend(story, session_id, 10)
    assert attended(story) == [10]


def test_minutes_within_the_clock_tolerance_are_kept() -> None:
    story = Story()
    tolerated = CLOCK_TOLERANCE.seconds // 60
    session_id = begun(story, 45)
    attend(story, session_id, 45 + tolerated)
    assert attended(story) == [45 + tolerated]
    with pytest.raises(InvalidInput) as refusal:
        story.run(
            therapy.correct_outcome(
                story.stamp(THERAPIST), client_id=story.client_id, session_id=session_id,
                outcome=Outcome.ATTENDED, duration_minutes=45 + tolerated + 1,
                reason="ran longer", rules=story.rules,
            )
        )  # fmt: skip
    assert (refusal.value.field, refusal.value.rule) == ("durationMinutes", IN_FUTURE)
