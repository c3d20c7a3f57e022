"""Who leads a session: a therapist or prescriber on each member's care team, now."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from alert_story import ADMIN, DOCTOR, NURSE, PEER, THERAPIST, Story

from carecoord.events import Actor
from carecoord.events.therapy import Modality, SessionFormat, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import end_membership
from carecoord.services.kernel.errors import DomainError, InvalidInput, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def book(story: Story, clinician: str | None, *clients: UUID, booker: Actor = THERAPIST) -> UUID:
    group = len(clients) > 1
    return story.run(
        therapy.schedule_session(
            story.stamp(booker), client_ids=list(clients or [story.client_id]),
            modality=Modality.GROUP if group else Modality.CBT,
            format=SessionFormat.GROUP if group else SessionFormat.INDIVIDUAL,
            scheduled_for=story.now + timedelta(hours=1), planned_minutes=50,
            clinician_id=clinician,
        )
    )  # fmt: skip


def refused(
    story: Story, clinician: str | None, *clients: UUID, booker: Actor = THERAPIST
) -> DomainError:
    """The refusal of a booking, which records nothing."""
    before = len(story.events())
    with pytest.raises(DomainError) as refusal:
        book(story, clinician, *clients, booker=booker)
    assert len(story.events()) == before
    assert refusal.value.field == "clinicianId"
    return refusal.value


def leaders(story: Story) -> list[str]:
    return [e.clinician_id for e in story.events() if isinstance(e, SessionScheduled)]


def test_the_booker_leads_by_default_and_a_named_clinician_must_be_on_the_care_team() -> None:
    story = Story()
    book(story, None)
    stranger = refused(story, "dr-nobody")
    assert isinstance(stranger, RuleViolation)
    assert stranger.rule == "clinician-on-care-team"
    assert "dr-nobody is not on client" in stranger.message
    story.join(story.client_id, DOCTOR)
    story.later(hours=2)
    book(story, f"  {DOCTOR.id} ")
    assert leaders(story) == [THERAPIST.id, DOCTOR.id]


@pytest.mark.parametrize("member", [NURSE, PEER])
def test_a_team_member_who_does_not_counsel_does_not_lead_a_session(member: Actor) -> None:
    story = Story()
    story.join(story.client_id, member)
    named = refused(story, member.id)
    assert (named.rule, type(named)) == ("clinician-role", RuleViolation)
    assert f"as {member.role.value}; a session is led by a prescriber or therapist" in named.message


def test_a_nurse_books_a_session_for_the_therapist_but_not_for_herself() -> None:
    story = Story()
    story.join(story.client_id, NURSE)
    assert refused(story, None, booker=NURSE).rule == "clinician-role"
    book(story, THERAPIST.id, booker=NURSE)
    assert leaders(story) == [THERAPIST.id]


@pytest.mark.parametrize("clinician", ["   ", "t" * 201, "ther-ana\u200b"])
def test_a_blank_long_or_unprintable_clinician_is_refused_unechoed(clinician: str) -> None:
    story = Story()
    wrong = refused(story, clinician)
    assert (type(wrong), wrong.rule) == (InvalidInput, "clinician-id")
    assert clinician not in wrong.message


def test_a_group_session_is_led_by_a_member_of_every_clients_team() -> None:
    story = Story()
    other = story.run(enroll_client(story.stamp(NURSE), display_name="Ash", program="OTP"))
    story.join(other, THERAPIST)
    story.join(story.client_id, DOCTOR)
    missing = refused(story, DOCTOR.id, story.client_id, other)
    assert f"not on client {other}'s care team" in missing.message
    story.join(other, DOCTOR)
    book(story, DOCTOR.id, story.client_id, other)
    assert leaders(story) == [DOCTOR.id, DOCTOR.id]


def test_a_clinician_who_leaves_the_team_keeps_their_sessions_and_takes_no_new_ones() -> None:
    story = Story()
    story.join(story.client_id, DOCTOR)
    session_id = book(story, DOCTOR.id)
    story.later(hours=2)
    story.run(
        end_membership(
            story.stamp(ADMIN), client_id=story.client_id, member_id=DOCTOR.id, reason="moved"
        )
    )
    gone = refused(story, DOCTOR.id)
    assert gone.rule == "clinician-on-care-team"
    assert f"(their membership ended {story.now.isoformat()})" in gone.message
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id, duration_minutes=50,
            attendance=[(story.client_id, Outcome.ATTENDED)], rules=story.rules,
        )
    )  # fmt: skip
    assert leaders(story) == [DOCTOR.id], "the booked session keeps the clinician who led it"
