"""A session or counseling note recorded in error (on the wrong client's session, the wrong
text) is marked entered in error: a new event naming the note and why, the note kept as
written. Before, nothing could be said of it, and a note about another client stayed on this
client's record as theirs, in every export."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from alert_story import NURSE, THERAPIST, Story

from carecoord.events import Actor
from carecoord.events.therapy import (
    CounselingNoteEnteredInError,
    CounselingNoteRecorded,
    SessionNoteEnteredInError,
    SessionNoteRecorded,
)
from carecoord.services.kernel.errors import DomainError, InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def noted(story: Story, *, counseling: bool = False) -> UUID:
    """A note on an attended session: its event id."""
    session_id = story.session(Outcome.ATTENDED)
    story.run(
        therapy.record_session_note(
            story.stamp(THERAPIST), client_id=story.client_id, session_id=session_id,
            note="Worked on triggers.", counseling=counseling,
        )
    )  # fmt: skip
    kind = CounselingNoteRecorded if counseling else SessionNoteRecorded
    return [e for e in story.events() if isinstance(e, kind)][-1].event_id


def mark(story: Story, note_id: UUID, reason: str = "wrong client", by: Actor = THERAPIST) -> None:
    story.run(
        therapy.mark_note_entered_in_error(
            story.stamp(by), client_id=story.client_id, note_id=note_id, reason=reason
        )
    )


def refused(
    story: Story, note_id: UUID, reason: str = "again", by: Actor = THERAPIST
) -> DomainError:
    before = len(story.events())
    with pytest.raises(DomainError) as refusal:
        mark(story, note_id, reason, by)
    assert len(story.events()) == before, "nothing recorded"
    return refusal.value


def test_a_note_marked_in_error_is_named_with_why_and_marked_once() -> None:
    story = Story()
    note_id = noted(story)

    mark(story, note_id, " written on the wrong client's session ")

    [marked] = [e for e in story.events() if isinstance(e, SessionNoteEnteredInError)]
    assert (marked.note_id, marked.reason) == (note_id, "written on the wrong client's session")
    again = refused(story, note_id)
    assert (type(again), again.field, again.rule) == (RuleViolation, "noteId", "note-in-error")


def test_an_unknown_note_or_one_without_a_reason_is_refused_naming_the_field() -> None:
    story = Story()
    note_id = noted(story)

    unknown = refused(story, uuid4())
    blank = refused(story, note_id, " \u200b ")

    assert (type(unknown), unknown.field, unknown.rule) == (NotFound, "noteId", "unknown-note")
    assert (type(blank), blank.field, blank.rule) == (InvalidInput, "reason", "reason-required")


def test_a_counseling_note_is_marked_of_its_kind_and_unknown_to_a_nurse() -> None:
    story = Story()
    note_id = noted(story, counseling=True)

    nurse = refused(story, note_id, by=NURSE)
    mark(story, note_id)

    assert (nurse.field, nurse.rule) == ("noteId", "unknown-note")
    [marked] = [e for e in story.events() if isinstance(e, CounselingNoteEnteredInError)]
    assert marked.note_id == note_id
    assert not any(isinstance(e, SessionNoteEnteredInError) for e in story.events())
