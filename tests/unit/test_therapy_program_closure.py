"""A program admin cancels a session when the program closes (weather, an emergency): the
reason program_closure is theirs to give, any other stays with the clinicians who book
sessions (``closure-only``). Before, the admin, whose call a closure is, could not cancel
at all. The admin reads no therapy entries: a session they could not cancel (cancelled,
with an outcome, begun) is refused to them as an unknown one."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from alert_story import ADMIN, NURSE, Story
from test_therapy_cancellation import cancellations
from test_therapy_therapist_double_booking import book, client, late_cancel

from carecoord.events.therapy import CancellationReason
from carecoord.services.kernel.access import Action, authorize
from carecoord.services.kernel.errors import Forbidden, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy


def closed(story: Story, session_id: UUID, reason: CancellationReason) -> None:
    story.run(
        therapy.cancel_session(
            story.stamp(ADMIN), client_id=story.client_id, session_id=session_id, reason=reason
        )
    )


def test_a_program_admin_cancels_a_session_for_the_programs_closure() -> None:
    story = Story()
    slot = story.now + timedelta(days=1)
    session_id = book(story, [story.client_id], slot)

    assert authorize(ADMIN, Action.CANCEL_SESSION) is ADMIN
    closed(story, session_id, CancellationReason.PROGRAM_CLOSURE)

    [event] = cancellations(story)
    assert (event.reason, event.actor) == (CancellationReason.PROGRAM_CLOSURE, ADMIN)
    book(story, [client(story)], slot)  # the therapist's hour is free


@pytest.mark.parametrize(
    "reason",
    [
        CancellationReason.CLIENT_REQUEST,
        CancellationReason.CLINICIAN_UNAVAILABLE,
        CancellationReason.OTHER,
    ],
)
def test_any_other_reason_is_the_booking_clinicians(reason: CancellationReason) -> None:
    story = Story()
    session_id = book(story, [story.client_id], story.now + timedelta(days=1))

    with pytest.raises(Forbidden) as refusal:
        closed(story, session_id, reason)

    assert (refusal.value.field, refusal.value.rule) == ("reason", "closure-only")
    assert "(PROGRAM_CLOSURE)" in refusal.value.message, "the reason as it is sent"
    assert cancellations(story) == []
    story.run(
        therapy.cancel_session(
            story.stamp(NURSE), client_id=story.client_id, session_id=session_id, reason=reason
        )
    )
    assert [e.reason for e in cancellations(story)] == [reason]


def test_a_session_the_admin_could_not_cancel_is_refused_to_them_as_unknown() -> None:
    """That it was cancelled, late-cancelled or has begun is therapy the admin does not
    read; a clinician is told which."""
    story = Story()
    cancelled = book(story, [story.client_id], story.now + timedelta(days=1))
    closed(story, cancelled, CancellationReason.PROGRAM_CLOSURE)
    called = book(story, [story.client_id], story.now + timedelta(days=2))
    late_cancel(story, called, [story.client_id])
    begun = book(story, [story.client_id], story.now + timedelta(hours=1))
    story.later(hours=2)

    for session_id in (cancelled, called, begun):
        with pytest.raises(NotFound) as unknown:
            closed(story, session_id, CancellationReason.PROGRAM_CLOSURE)
        assert (unknown.value.rule, unknown.value.message) == (
            "unknown-session", f"client {story.client_id} has no session {session_id}",
        )  # fmt: skip
        with pytest.raises(RuleViolation):
            story.run(
                therapy.cancel_session(
                    story.stamp(NURSE), client_id=story.client_id, session_id=session_id,
                    reason=CancellationReason.PROGRAM_CLOSURE,
                )
            )  # fmt: skip
    assert len(cancellations(story)) == 1
