"""A session is cancelled before it begins (``cancelSession``): a client calling a week ahead,
a therapist off sick, the program closed. Before, the one way to cancel was a late
cancellation, which counts like a no-show for the schedule. A cancellation frees the
client's time and their therapist's, is no outcome (no no-show run reads it), and closes
the session: nothing more is recorded about it. After the session began, its outcome is
recorded instead (``cancelled-before-start``)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from alert_story import NURSE, THERAPIST, Story
from test_therapy_therapist_double_booking import book, client, late_cancel

from carecoord.events.therapy import CancellationReason, SessionCancelled
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def cancel(
    story: Story,
    session_id: UUID,
    client_id: UUID | None = None,
    reason: CancellationReason = CancellationReason.CLIENT_REQUEST,
    note: str = "",
) -> None:
    story.run(
        therapy.cancel_session(
            story.stamp(NURSE), client_id=client_id or story.client_id, session_id=session_id,
            reason=reason, note=note,
        )
    )  # fmt: skip


def cancellations(story: Story) -> list[SessionCancelled]:
    return [e for e in story.events() if isinstance(e, SessionCancelled)]


def refused(story: Story, session_id: UUID, client_id: UUID | None = None) -> RuleViolation:
    before = len(story.events())
    with pytest.raises(RuleViolation) as refusal:
        cancel(story, session_id, client_id)
    assert len(story.events()) == before
    return refusal.value


def test_a_session_cancelled_ahead_frees_the_client_and_the_therapist() -> None:
    story = Story()
    slot = story.now + timedelta(days=7)
    session_id = book(story, [story.client_id], slot)
    story.later(hours=1)

    cancel(story, session_id, note=" off sick ", reason=CancellationReason.CLINICIAN_UNAVAILABLE)

    [event] = cancellations(story)
    assert (event.session_id, event.reason, event.note, event.occurred_at) == (
        session_id, CancellationReason.CLINICIAN_UNAVAILABLE, "off sick", story.now,
    )  # fmt: skip
    assert event.summary() == "Cancelled cbt session"
    book(story, [story.client_id], slot)  # the client's hour, with the same therapist


def test_the_therapists_hour_is_booked_again_with_another_client() -> None:
    story = Story()
    slot = story.now + timedelta(days=2)
    session_id = book(story, [story.client_id], slot)
    with pytest.raises(RuleViolation) as taken:
        book(story, [client(story)], slot)
    assert taken.value.rule == "therapist-booked-then"

    cancel(story, session_id)

    book(story, [client(story)], slot)


def test_a_cancelled_session_takes_no_outcome_and_no_second_cancellation() -> None:
    story = Story()
    session_id = book(story, [story.client_id], story.now + timedelta(days=1))
    cancel(story, session_id)
    story.later(days=2)

    assert refused(story, session_id).rule == "session-cancelled"
    with pytest.raises(RuleViolation) as outcome:
        story.run(
            therapy.record_attendance(
                story.stamp(THERAPIST), session_id=session_id,
                attendance=[(story.client_id, Outcome.NO_SHOW)], rules=story.rules,
            )
        )  # fmt: skip
    assert (outcome.value.field, outcome.value.rule) == ("sessionId", "session-cancelled")
    assert story.fired() == []


def test_a_session_with_an_outcome_is_not_cancelled() -> None:
    story = Story()
    session_id = book(story, [story.client_id], story.now + timedelta(days=1))
    late_cancel(story, session_id, [story.client_id])

    refusal = refused(story, session_id)

    assert (refusal.field, refusal.rule) == ("sessionId", "outcome-recorded")


def test_a_session_that_began_is_given_its_outcome_instead() -> None:
    story = Story()
    session_id = book(story, [story.client_id], story.now + timedelta(hours=1))
    story.later(hours=1, minutes=1)

    refusal = refused(story, session_id)

    assert (refusal.field, refusal.rule) == ("sessionId", "cancelled-before-start")
    assert "recordAttendance" in refusal.message


def test_a_session_of_another_client_or_none_is_unknown() -> None:
    story = Story()
    other = client(story)
    theirs = book(story, [other], story.now + timedelta(days=1))
    for session_id in (theirs, uuid4()):
        with pytest.raises(NotFound) as unknown:
            cancel(story, session_id)
        assert (unknown.value.field, unknown.value.rule) == ("sessionId", "unknown-session")
    assert cancellations(story) == []


def test_cancelled_sessions_are_in_no_no_show_run() -> None:
    story = Story()
    story.session(Outcome.NO_SHOW)
    story.later(days=1)
    cancel(story, book(story, [story.client_id], story.now + timedelta(hours=5)))
    story.session(Outcome.NO_SHOW)

    assert story.fired() == ["repeated-no-shows"]
    [alert] = story.alerts()
    assert len(alert.evidence) == 2


def test_a_group_frees_its_leader_once_every_members_session_is_cancelled() -> None:
    story = Story()
    other = client(story)
    slot = story.now + timedelta(days=3)
    group = book(story, [story.client_id, other], slot)

    cancel(story, group)
    with pytest.raises(RuleViolation) as held:
        book(story, [client(story)], slot)
    assert held.value.rule == "therapist-booked-then"
    cancel(story, group, other, CancellationReason.PROGRAM_CLOSURE)

    book(story, [client(story)], slot)


def test_a_cancellation_dated_after_the_start_is_refused_naming_occurred_at() -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    session_id = book(story, [story.client_id], starts)
    story.later(days=2)
    with pytest.raises(RuleViolation) as refusal:
        story.run(
            therapy.cancel_session(
                story.stamp(NURSE), client_id=story.client_id, session_id=session_id,
                reason=CancellationReason.OTHER, occurred_at=starts + timedelta(minutes=1),
            )
        )  # fmt: skip
    assert (refusal.value.field, refusal.value.rule) == ("occurredAt", "cancelled-before-start")

    story.run(
        therapy.cancel_session(
            story.stamp(NURSE), client_id=story.client_id, session_id=session_id,
            reason=CancellationReason.CLIENT_REQUEST, occurred_at=starts - timedelta(days=1),
        )
    )  # fmt: skip
    [event] = cancellations(story)
    assert event.occurred_at == starts - timedelta(days=1)


def test_the_discharges_reason_is_refused_for_a_cancellation_by_hand() -> None:
    story = Story()
    session_id = book(story, [story.client_id], story.now + timedelta(days=7))
    before = len(story.events())

    with pytest.raises(InvalidInput) as refusal:
        cancel(story, session_id, reason=CancellationReason.CLIENT_DISCHARGED)

    assert (refusal.value.field, refusal.value.rule) == ("reason", "reason-of-discharge")
    assert refusal.value.message.startswith("CLIENT_DISCHARGED "), "the reason as it is sent"
    assert len(story.events()) == before, "a client in treatment read as discharged"


def test_a_session_at_its_start_takes_its_outcome_not_a_cancellation() -> None:
    """From its start on a session takes attended or a no-show: a cancellation at the start
    itself was kept too, so the same moment read as both cancelled and a no-show."""
    story = Story()
    starts = story.now + timedelta(hours=1)
    session_id = book(story, [story.client_id], starts)
    story.later(hours=1)

    now = refused(story, session_id)
    with pytest.raises(RuleViolation) as dated:
        story.run(
            therapy.cancel_session(
                story.stamp(NURSE), client_id=story.client_id, session_id=session_id,
                reason=CancellationReason.CLIENT_REQUEST, occurred_at=starts,
            )
        )  # fmt: skip

    assert (now.field, now.rule) == ("sessionId", "cancelled-before-start")
    assert (dated.value.field, dated.value.rule) == ("occurredAt", "cancelled-before-start")
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id,
            attendance=[(story.client_id, Outcome.NO_SHOW)], rules=story.rules,
        )
    )  # fmt: skip
    assert cancellations(story) == []


def test_a_cancellation_a_moment_before_the_start_is_kept() -> None:
    story = Story()
    starts = story.now + timedelta(hours=1)
    session_id = book(story, [story.client_id], starts)
    story.later(hours=1, microseconds=-1)

    cancel(story, session_id)

    [event] = cancellations(story)
    assert event.occurred_at == starts - timedelta(microseconds=1)
