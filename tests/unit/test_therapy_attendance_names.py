"""An attendance names the entry that is wrong: a client not booked on a session that is
booked (another attendee's, or one the writer leads) is refused naming their entry,
``attendance.<n>.clientId``; it named ``sessionId``, though the session was right and the
therapist had picked the wrong client. A session no one named is booked on, and the writer
does not lead, is the unknown one."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from alert_story import DOCTOR, THERAPIST, Story
from test_therapy_therapist_double_booking import book, client

from carecoord.events import Actor
from carecoord.services.kernel.errors import NotFound
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def refusal(story: Story, session_id: UUID, *clients: UUID, writer: Actor = THERAPIST) -> NotFound:
    before = len(story.events())
    with pytest.raises(NotFound) as refused:
        story.run(
            therapy.record_attendance(
                story.stamp(writer), session_id=session_id,
                attendance=[(c, Outcome.NO_SHOW) for c in clients], rules=story.rules,
            )
        )  # fmt: skip
    assert len(story.events()) == before, "nothing recorded"
    return refused.value


def test_a_client_not_booked_on_a_group_is_named_by_their_entry() -> None:
    story = Story()
    member, stranger = client(story), client(story)
    session_id = book(story, [story.client_id, member], story.now + timedelta(hours=1))
    story.later(hours=2)

    refused = refusal(story, session_id, story.client_id, stranger, member)

    assert (refused.field, refused.rule) == ("attendance.1.clientId", "not-booked")
    assert str(stranger) in refused.message


def test_the_wrong_client_of_a_session_the_writer_leads_is_named_by_their_entry() -> None:
    story = Story()
    other = client(story)
    session_id = book(story, [story.client_id], story.now + timedelta(hours=1))
    story.later(hours=2)

    refused = refusal(story, session_id, other)

    assert (refused.field, refused.rule) == ("attendance.0.clientId", "not-booked")


def test_a_session_no_one_named_is_booked_on_is_unknown() -> None:
    story = Story()
    story.join(story.client_id, DOCTOR)
    session_id = book(story, [story.client_id], story.now + timedelta(hours=1))
    story.later(hours=2)

    for unknown, writer in ((uuid4(), THERAPIST), (session_id, DOCTOR)):
        other = client(story, DOCTOR)
        refused = refusal(story, unknown, other, writer=writer)
        assert (refused.field, refused.rule) == ("sessionId", "unknown-session")
