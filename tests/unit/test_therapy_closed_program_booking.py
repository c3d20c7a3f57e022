"""A session is not booked to begin while its clients' program is closed: refused naming
scheduledFor (program-closed), nothing recorded, from the moment the closure is declared,
before its cancellations run. Before, a session booked once a closure had cancelled the
day's sessions was kept, and the clients came to a closed program."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest
from alert_story import ADMIN, THERAPIST, Story
from test_therapy_cancellation import cancellations
from test_therapy_program_day_closure import close, tomorrow
from test_therapy_therapist_double_booking import book, client

from carecoord.events.therapy import ProgramClosureDeclared, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.therapy import closure
from carecoord.services.therapy.closure import Span

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def refused(story: Story, clients: list[UUID], starts: datetime) -> str:
    """The refusal's message, once checked to be program-closed on scheduledFor with nothing
    recorded."""
    before = len(story.events())
    with pytest.raises(RuleViolation) as refusal:
        book(story, clients, starts)
    assert (refusal.value.field, refusal.value.rule) == ("scheduledFor", "program-closed")
    assert len(story.events()) == before
    return refusal.value.message


def test_a_session_beginning_in_a_closed_span_is_refused_one_outside_it_booked() -> None:
    story = Story()
    day = tomorrow(story)
    group = [client(story), client(story)]
    close(story, day)

    message = refused(story, [story.client_id], day.starts)
    refused(story, group, day.starts + 9 * HOUR)
    refused(story, [story.client_id], day.ends - timedelta(minutes=1))

    assert message == (
        f"the program is closed from {day.starts.isoformat(timespec='minutes')} until"
        f" {day.ends.isoformat(timespec='minutes')}; book a session beginning before or after"
    )
    booked = [
        book(story, [story.client_id], day.ends),
        book(story, group, day.starts - HOUR),  # ends as the closure begins
    ]
    scheduled = {e.session_id for e in story.events() if isinstance(e, SessionScheduled)}
    assert set(booked) == scheduled


def test_a_closure_declared_refuses_bookings_before_its_cancellations_run() -> None:
    """A closure cut short, or still cancelling: its span is closed already, so no session
    booked meanwhile is left for it to miss."""
    story = Story()
    day = tomorrow(story)
    story.run(closure.declare_closure(story.stamp(ADMIN), program="OTP", span=day))
    story.run(closure.declare_closure(story.stamp(ADMIN), program="OTP", span=day))

    refused(story, [story.client_id], day.starts + 2 * HOUR)
    assert len([e for e in story.events() if isinstance(e, ProgramClosureDeclared)]) == 1
    assert cancellations(story) == []


def test_a_closure_recorded_undeclared_refuses_bookings_too() -> None:
    """A closure recorded before closures were declared first is a closed span as well."""
    story = Story()
    day = tomorrow(story)
    story.run(
        closure.record_closure(
            story.stamp(ADMIN), program="OTP", span=day, note="", cancelled=frozenset()
        )
    )

    refused(story, [story.client_id], day.starts + HOUR)


def test_another_programs_closure_refuses_nothing() -> None:
    story = Story()
    day = tomorrow(story)
    elsewhere = story.run(
        enroll_client(story.stamp(ADMIN), display_name="Lee", program="North OTP")
    )
    story.join(elsewhere, THERAPIST)
    close(story, day)

    session_id = book(story, [elsewhere], day.starts + HOUR)

    assert session_id in {e.session_id for e in story.events() if isinstance(e, SessionScheduled)}


def test_a_session_entered_late_that_began_before_the_closure_was_declared_is_booked() -> None:
    """Closed at noon from the morning on: a session of 10:00, begun by then, was not
    cancelled and took place, so it is entered; one of 13:00 is refused, the program closed
    from noon."""
    story = Story()
    story.later(hours=3)
    span = Span(story.now - 2 * HOUR, story.now + DAY)
    close(story, span)

    held = book(story, [story.client_id], story.now - HOUR)
    message = refused(story, [story.client_id], story.now + HOUR)

    assert held in {e.session_id for e in story.events() if isinstance(e, SessionScheduled)}
    assert f"closed from {story.now.isoformat(timespec='minutes')} until" in message
