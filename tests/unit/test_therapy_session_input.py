"""What a booking, an attendance or a note gives that the record would not keep is refused,
naming the field, and nothing is recorded: a session booked beyond a year ahead, a length when
no one attended, a reason when no one late-cancelled or several did, a cancellation or a note
dated before the session was booked, a note or a correction's reason that shows nothing.
Before, 2199 was booked, a note dated 1950 was kept on a session booked today, so was a note of
zero-width characters, and the length and reason were dropped without a word."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from alert_story import NURSE, THERAPIST, Story

from carecoord.events.therapy import (
    Modality,
    SessionAttended,
    SessionFormat,
    SessionLateCancelled,
    SessionNoteRecorded,
    SessionScheduled,
)
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import DomainError, InvalidInput, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import BOOKING_HORIZON, Outcome


def book(story: Story, ahead: timedelta, clients: list[UUID] | None = None) -> UUID:
    group = clients is not None and len(clients) > 1
    return story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=clients or [story.client_id],
            modality=Modality.GROUP if group else Modality.CBT,
            format=SessionFormat.GROUP if group else SessionFormat.INDIVIDUAL,
            scheduled_for=story.now + ahead, planned_minutes=50,
        )
    )  # fmt: skip


def attend(story: Story, session_id: UUID, *outcomes: tuple[UUID, Outcome], **given: Any) -> None:
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id, attendance=list(outcomes),
            rules=story.rules, **given,
        )
    )  # fmt: skip


def note(story: Story, session_id: UUID, occurred_at: datetime) -> None:
    story.run(
        therapy.record_session_note(
            story.stamp(THERAPIST), client_id=story.client_id, session_id=session_id,
            note="Talked about the week.", occurred_at=occurred_at,
        )
    )  # fmt: skip


def refusal(story: Story, write: Any, *args: Any, **given: Any) -> DomainError:
    """The refusal of ``write``, which records nothing."""
    before = len(story.events())
    with pytest.raises(DomainError) as refused:
        write(story, *args, **given)
    assert len(story.events()) == before
    return refused.value


def test_a_session_is_booked_at_most_a_year_ahead() -> None:
    story = Story()
    far = refusal(story, book, BOOKING_HORIZON + timedelta(minutes=1))
    assert (type(far), far.field, far.rule) == (InvalidInput, "scheduledFor", "booking-horizon")
    assert f"more than {BOOKING_HORIZON.days} days ahead" in far.message
    book(story, BOOKING_HORIZON)
    [booked] = [e for e in story.events() if isinstance(e, SessionScheduled)]
    assert booked.scheduled_for == story.now + BOOKING_HORIZON


@pytest.mark.parametrize(
    ("outcome", "given", "field", "rule"),
    [
        (Outcome.NO_SHOW, {"duration_minutes": 50}, "durationMinutes", "duration-unexpected"),
        (Outcome.LATE_CANCELLED, {"duration_minutes": 50}, "durationMinutes",
         "duration-unexpected"),
        (Outcome.NO_SHOW, {"reason": "in hospital"}, "reason", "reason-unexpected"),
        (Outcome.ATTENDED, {"duration_minutes": 50, "reason": "late bus"}, "reason",
         "reason-unexpected"),
    ],
)  # fmt: skip
def test_a_length_or_reason_no_one_here_has_is_refused(
    outcome: Outcome, given: dict[str, Any], field: str, rule: str
) -> None:
    story = Story()
    session_id = book(story, timedelta(hours=1))
    story.later(hours=2)
    wrong = refusal(story, attend, session_id, (story.client_id, outcome), **given)
    assert (type(wrong), wrong.field, wrong.rule) == (InvalidInput, field, rule)


def test_a_group_keeps_the_length_for_who_attended_and_the_reason_for_who_cancelled() -> None:
    story = Story()
    other = story.run(enroll_client(story.stamp(NURSE), display_name="Ash", program="OTP"))
    story.join(other, THERAPIST)
    session_id = book(story, timedelta(hours=1), [story.client_id, other])
    story.later(hours=2)
    attend(
        story, session_id, (story.client_id, Outcome.ATTENDED), (other, Outcome.LATE_CANCELLED),
        duration_minutes=45, reason="called in sick",
    )  # fmt: skip
    [attended] = [e for e in story.events() if isinstance(e, SessionAttended)]
    [cancelled] = [e for e in story.events() if isinstance(e, SessionLateCancelled)]
    assert (attended.client_id, attended.duration_minutes) == (story.client_id, 45)
    assert (cancelled.client_id, cancelled.reason) == (other, "called in sick")


def test_a_reason_given_for_several_late_cancellations_is_refused() -> None:
    """One reason was kept on every member who late-cancelled, so each read on their own
    record why another had (a group's reason naming one of them, their hospital stay)."""
    story = Story()
    others = [
        story.run(enroll_client(story.stamp(NURSE), display_name=name, program="OTP"))
        for name in ("Ash", "Bea")
    ]
    for other in others:
        story.join(other, THERAPIST)
    session_id = book(story, timedelta(hours=1), [story.client_id, *others])
    story.later(hours=2)
    cancelled = [(other, Outcome.LATE_CANCELLED) for other in others]
    shared = refusal(story, attend, session_id, *cancelled, reason="Ash is in hospital")
    assert (type(shared), shared.field, shared.rule) == (
        InvalidInput, "reason", "reason-of-one-client",
    )  # fmt: skip
    attend(story, session_id, cancelled[0], reason="Ash is in hospital")
    attend(story, session_id, cancelled[1])
    kept = [e for e in story.events() if isinstance(e, SessionLateCancelled)]
    assert [(e.client_id, e.reason) for e in kept] == [
        (others[0], "Ash is in hospital"), (others[1], ""),
    ]  # fmt: skip


def test_a_session_before_a_members_enrolment_is_refused_for_every_member() -> None:
    story = Story()
    story.later(days=10)
    other = story.run(enroll_client(story.stamp(NURSE), display_name="Ash", program="OTP"))
    story.join(other, THERAPIST)
    for clients, named in (([story.client_id], story.client_id), ([story.client_id, other], other)):
        before = refusal(
            story, book, -timedelta(days=11 if named == story.client_id else 1), clients
        )
        assert (type(before), before.field, before.rule) == (
            InvalidInput, "scheduledFor", "after-enrolment",
        )  # fmt: skip
        assert f"before client {named}'s enrolment" in before.message
    book(story, -timedelta(days=1))
    assert [e.client_id for e in story.events() if isinstance(e, SessionScheduled)] == [
        story.client_id
    ]


def test_a_cancellation_or_note_is_dated_from_the_booking_on() -> None:
    story = Story()
    session_id = book(story, timedelta(days=7))
    long_ago = story.now - timedelta(days=365 * 70)
    cancel = (story.client_id, Outcome.LATE_CANCELLED)
    for refused in (
        refusal(story, note, session_id, occurred_at=long_ago),
        refusal(story, attend, session_id, cancel, occurred_at=long_ago),
    ):
        assert (type(refused), refused.field, refused.rule) == (
            RuleViolation, "occurredAt", "before-booking",
        )  # fmt: skip
    note(story, session_id, occurred_at=story.now)
    attend(story, session_id, cancel, occurred_at=story.now)
    kept = [type(e) for e in story.events() if e.client_id == story.client_id]
    assert kept[-2:] == [SessionNoteRecorded, SessionLateCancelled]


def test_a_session_entered_after_it_began_takes_notes_from_when_it_began() -> None:
    story = Story()
    story.later(days=3)  # enrolled three days ago: the session is on their record
    session_id = book(story, -timedelta(days=3))
    note(story, session_id, occurred_at=story.now - timedelta(days=3))
    [noted] = [e for e in story.events() if isinstance(e, SessionNoteRecorded)]
    assert noted.occurred_at == story.now - timedelta(days=3)


@pytest.mark.parametrize("text", ["   ", "\u200b", "\u00a0\u2060\ufeff", "\t\n"])
def test_a_note_or_correction_reason_that_shows_nothing_is_refused(text: str) -> None:
    story = Story()
    session_id = story.session(Outcome.NO_SHOW)
    blank_note = refusal(
        story, lambda s: s.run(therapy.record_session_note(
            s.stamp(THERAPIST), client_id=s.client_id, session_id=session_id, note=text,
            counseling=True,
        ))
    )  # fmt: skip
    assert (type(blank_note), blank_note.field, blank_note.rule) == (
        InvalidInput, "note", "note-text",
    )  # fmt: skip
    blank_reason = refusal(
        story, lambda s: s.run(therapy.correct_outcome(
            s.stamp(THERAPIST), client_id=s.client_id, session_id=session_id,
            outcome=Outcome.LATE_CANCELLED, reason=text, rules=s.rules,
        ))
    )  # fmt: skip
    assert (type(blank_reason), blank_reason.field, blank_reason.rule) == (
        InvalidInput, "reason", "correction-reason",
    )  # fmt: skip


def test_an_individual_session_of_group_therapy_is_refused_naming_modality() -> None:
    """It was booked, and its Encounter read "individual group" on every export."""
    story = Story()
    refused = refusal(
        story,
        lambda story: story.run(
            therapy.schedule_session(
                story.stamp(THERAPIST), client_ids=[story.client_id], modality=Modality.GROUP,
                format=SessionFormat.INDIVIDUAL, scheduled_for=story.now, planned_minutes=50,
            )
        ),
    )  # fmt: skip
    assert (type(refused), refused.field, refused.rule) == (
        InvalidInput, "modality", "individual-session",
    )  # fmt: skip


@pytest.mark.parametrize("blank", ["   ", "\u200b\u200b", " \u2800 "])
def test_a_cancellation_reason_that_shows_nothing_is_none(blank: str) -> None:
    """One of zero-width characters was kept as a reason, and refused beside a no-show where
    one of spaces was taken as none."""
    story = Story()
    missed, cancelled = book(story, timedelta(hours=1)), book(story, timedelta(days=3))
    story.later(hours=2)
    attend(story, missed, (story.client_id, Outcome.NO_SHOW), reason=blank)
    attend(story, cancelled, (story.client_id, Outcome.LATE_CANCELLED), reason=blank)
    [kept] = [e for e in story.events() if isinstance(e, SessionLateCancelled)]
    assert kept.reason == ""
