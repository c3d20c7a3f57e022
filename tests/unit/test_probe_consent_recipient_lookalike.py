"""A consent names no member by an id that reads as another's on the client's record: one on
their care team, now or before, one a consent of theirs names, or another the same consent
names. ``NURSE-KIM`` beside nurse-kim was kept and granted the record to whoever holds that
token, and every listing of the client's consents showed it as the nurse the client knows, as
a care-team membership under it is refused."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from alert_story import ADMIN, Story

from carecoord.events import Actor, Kind, Role
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent import commands as consent
from carecoord.services.kernel.errors import InvalidInput

KIM = Actor(id="nurse-kim", role=Role.NURSE)


def member(user_id: str) -> Recipient:
    return Recipient(type=RecipientType.MEMBER, id=user_id)


def give(story: Story, *recipients: Recipient) -> UUID:
    return story.run(
        consent.record_consent(
            story.stamp(ADMIN),
            client_id=story.client_id,
            recipients=recipients,
            purpose="coordination of care",
            data_kinds=(Kind.CARE,),
            signed_on=date(2026, 1, 5),
            signed_by="Sam",
            expiry_event="end of treatment",
        )
    )


def refusal(story: Story, *recipients: Recipient) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        give(story, *recipients)
    return refused.value


def test_a_member_reading_as_one_on_the_care_team_is_refused() -> None:
    story = Story()
    story.join(story.client_id, KIM)

    refused = refusal(story, member("dr-out"), member("NURSE-KIM"))

    assert (refused.field, refused.rule) == ("recipients.1.id", "unmistakable-id")
    assert "reads as nurse-kim" in str(refused)
    give(story, member("nurse-kim"))


def test_a_member_reading_as_one_a_consent_names_is_refused() -> None:
    story = Story()
    give(story, member("dr-lee"))

    assert refusal(story, member("dr-1ee")).rule == "unmistakable-id"
    assert refusal(story, member("ext-doc"), member("Ext-Doc")).field == "recipients.0.id"
    give(story, member("dr-lee"), Recipient(type=RecipientType.ORGANIZATION, id="DR-LEE"))
