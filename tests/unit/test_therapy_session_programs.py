"""A session's members are of one program: a group mixing two programs' clients is refused."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from alert_story import NURSE, THERAPIST, Story

from carecoord.events.therapy import Modality, SessionFormat, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.therapy import commands as therapy


def enrolled(story: Story, program: str) -> UUID:
    client_id = story.run(
        enroll_client(story.stamp(NURSE), display_name="Ash", program=program)
    )
    story.join(client_id, THERAPIST)
    return client_id


def group(story: Story, *clients: UUID) -> UUID:
    return story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=list(clients), modality=Modality.GROUP,
            format=SessionFormat.GROUP, scheduled_for=story.now + timedelta(hours=1),
            planned_minutes=90,
        )
    )  # fmt: skip


def test_a_group_with_another_programs_client_is_refused_and_records_nothing() -> None:
    story = Story()
    elsewhere = enrolled(story, "OTP-North")
    before = len(story.events())
    with pytest.raises(RuleViolation) as refusal:
        group(story, story.client_id, elsewhere)
    assert (refusal.value.field, refusal.value.rule) == ("clientIds", "same-program")
    assert str(elsewhere) in refusal.value.message
    assert len(story.events()) == before


def test_a_group_of_one_programs_clients_is_booked_for_each() -> None:
    story = Story()
    member = enrolled(story, "OTP")
    session_id = group(story, story.client_id, member)
    booked = [e for e in story.events() if isinstance(e, SessionScheduled)]
    assert [e.client_id for e in booked] == [story.client_id, member]
    assert {e.session_id for e in booked} == {session_id}
