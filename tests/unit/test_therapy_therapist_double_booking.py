"""A clinician leads one session at a time: a booking of them during another session they lead
is refused (``therapist-booked-then``), whoever its clients are, and records nothing. Before,
one therapist was booked with two clients at 10:00, and one of them waited for a session that
could not happen. A group session is one booking of its leader; a session every member
late-cancelled frees the leader's time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from alert_story import DOCTOR, NURSE, THERAPIST, Story

from carecoord.events import Actor
from carecoord.events.therapy import ClinicianBooked, Modality, SessionFormat, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def client(story: Story, *members: Actor) -> UUID:
    """Another client of the program, ``THERAPIST`` (and ``members``) on their care team."""
    client_id = story.run(enroll_client(story.stamp(NURSE), display_name="Ash", program="OTP"))
    for member in (THERAPIST, *members):
        story.join(client_id, member)
    return client_id


def book(
    story: Story,
    clients: Sequence[UUID],
    starts: datetime,
    minutes: int = 50,
    leader: str | None = None,
    stamp: Stamp | None = None,
) -> UUID:
    group = len(clients) > 1
    return story.run(
        therapy.schedule_session(
            stamp or story.stamp(THERAPIST), client_ids=clients,
            modality=Modality.GROUP if group else Modality.CBT,
            format=SessionFormat.GROUP if group else SessionFormat.INDIVIDUAL,
            scheduled_for=starts, planned_minutes=minutes, clinician_id=leader,
        )
    )  # fmt: skip


def late_cancel(story: Story, session_id: UUID, clients: Sequence[UUID]) -> None:
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id,
            attendance=[(c, Outcome.LATE_CANCELLED) for c in clients], rules=story.rules,
        )
    )  # fmt: skip


def booked(story: Story) -> int:
    return sum(isinstance(e, SessionScheduled) for e in story.events())


def refused(story: Story, clients: Sequence[UUID], starts: datetime, minutes: int = 50) -> str:
    """The refusal's message, once checked to be ``therapist-booked-then`` on scheduledFor
    with nothing recorded."""
    before = len(story.events())
    with pytest.raises(RuleViolation) as refusal:
        book(story, clients, starts, minutes)
    assert (refusal.value.field, refusal.value.rule) == ("scheduledFor", "therapist-booked-then")
    assert len(story.events()) == before
    return refusal.value.message


@pytest.mark.parametrize(("offset", "minutes"), [(0, 50), (49, 50), (-30, 31), (-60, 240)])
def test_a_therapist_booked_during_another_clients_session_is_refused(
    offset: int, minutes: int
) -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    first = book(story, [story.client_id], starts)
    message = refused(story, [client(story)], starts + timedelta(minutes=offset), minutes)
    assert str(first) in message
    assert THERAPIST.id in message
    assert booked(story) == 1


def test_the_next_slot_and_another_clinician_are_free() -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    book(story, [story.client_id], starts)
    book(story, [client(story)], starts + timedelta(minutes=50))
    book(story, [client(story, DOCTOR)], starts, leader=DOCTOR.id)
    assert booked(story) == 3
    calendars = {e.client_id for e in story.events() if isinstance(e, ClinicianBooked)}
    assert len(calendars) == 2, "one calendar for each leader"


def test_a_group_is_one_booking_of_its_leader() -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    members = [story.client_id, client(story), client(story)]
    group = book(story, members, starts, minutes=90)
    held = [e for e in story.events() if isinstance(e, ClinicianBooked)]
    assert [(e.session_id, e.client_ids) for e in held] == [(group, members)]
    assert str(group) in refused(story, [client(story)], starts + timedelta(minutes=60))


def test_a_session_frees_its_leader_once_every_member_late_cancelled() -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    members = [story.client_id, client(story)]
    group = book(story, members, starts)
    alone = client(story)
    late_cancel(story, group, members[:1])
    refused(story, [alone], starts)
    late_cancel(story, group, members[1:])
    freed = book(story, [alone], starts)
    late_cancel(story, freed, [alone])
    book(story, [client(story)], starts)
    assert booked(story) == 2 + 1 + 1


def test_a_booking_admitted_for_its_clients_records_on_its_leaders_calendar() -> None:
    story = Story()
    starts = story.now + timedelta(days=1)
    admitted = Stamp(THERAPIST, clock=lambda: story.now, clients=frozenset({story.client_id}))
    book(story, [story.client_id], starts, stamp=admitted)
    assert {type(e) for e in story.events()[-2:]} == {SessionScheduled, ClinicianBooked}


def test_a_late_cancellation_is_not_corrected_into_its_leaders_time_booked_since() -> None:
    """Its leader's time was freed and booked with another client, and the correction to
    attended had the therapist lead both sessions at once."""
    story = Story()
    starts = story.now + timedelta(hours=1)
    cancelled = book(story, [story.client_id], starts)
    late_cancel(story, cancelled, [story.client_id])
    since = book(story, [client(story)], starts)
    story.later(hours=3)
    before = len(story.events())
    with pytest.raises(RuleViolation) as refusal:
        story.run(
            therapy.correct_outcome(
                story.stamp(THERAPIST), client_id=story.client_id, session_id=cancelled,
                outcome=Outcome.ATTENDED, duration_minutes=50, reason="came after all",
                rules=story.rules,
            )
        )  # fmt: skip
    assert (refusal.value.field, refusal.value.rule) == ("outcome", "therapist-booked-then")
    assert str(since) in refusal.value.message
    assert len(story.events()) == before
