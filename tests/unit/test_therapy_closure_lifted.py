"""A closure declared in error (the wrong day, a storm that passed) is lifted by its admin:
from then on sessions are booked in its span again, and the span may be closed again later.
Before, nothing lifted one, and for up to a week every booking in the span was refused
(program-closed), sessions entered late that had taken place in it too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_story import ADMIN, Story
from test_therapy_cancellation import cancellations
from test_therapy_closed_program_booking import refused
from test_therapy_program_day_closure import close, tomorrow
from test_therapy_therapist_double_booking import book

from carecoord.events.therapy import ProgramClosureLifted, program_id
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.therapy import closure
from carecoord.services.therapy.closure import Span

HOUR = timedelta(hours=1)


def lift(story: Story, span: Span, reason: str = "closed the wrong day") -> None:
    story.run(closure.lift_closure(story.stamp(ADMIN), program="OTP", span=span, reason=reason))


def test_a_lifted_closure_takes_bookings_again_and_what_it_cancelled_stays_cancelled() -> None:
    story = Story()
    day = tomorrow(story)
    cancelled = book(story, [story.client_id], day.starts + 9 * HOUR)
    close(story, day)
    refused(story, [story.client_id], day.starts + 10 * HOUR)

    lift(story, day)

    booked = book(story, [story.client_id], day.starts + 10 * HOUR)
    assert booked != cancelled
    assert [c.session_id for c in cancellations(story)] == [cancelled]
    [lifted] = [e for e in story.events() if isinstance(e, ProgramClosureLifted)]
    assert (lifted.client_id, lifted.closed_from, lifted.closed_until) == (
        program_id("OTP"), day.starts, day.ends,
    )  # fmt: skip
    assert (lifted.reason, lifted.actor.id) == ("closed the wrong day", ADMIN.id)


def test_a_span_lifted_is_closed_again_and_refuses_bookings() -> None:
    story = Story()
    day = tomorrow(story)
    close(story, day)
    lift(story, day)

    again = close(story, day)

    assert again.sessions == 0
    refused(story, [story.client_id], day.starts + 2 * HOUR)


def test_a_span_not_closed_or_lifted_already_is_refused_naming_from() -> None:
    story = Story()
    day = tomorrow(story)
    close(story, day)
    lift(story, day)
    for span in (day, Span(day.starts, day.ends + HOUR)):
        before = len(story.events())
        with pytest.raises(RuleViolation) as unknown:
            lift(story, span)
        assert (unknown.value.field, unknown.value.rule) == ("from", "closure-unknown")
        assert len(story.events()) == before


@pytest.mark.parametrize("reason", ["", " \u200b ", "x" * 501, "bad\x00"])
def test_a_lifting_says_why(reason: str) -> None:
    story = Story()
    day = tomorrow(story)
    close(story, day)
    with pytest.raises(InvalidInput) as refusal:
        lift(story, day, reason)
    assert (refusal.value.field, refusal.value.rule) == ("reason", "lift-reason")
