"""What a user could see at a time says why a consent naming them no longer granted by its
own terms, as ``consents`` does: it read ``inForce: false`` with ``revokedAt`` null and a
date still to come, the discharge that ended it nowhere, and an auditor could not tell an
expired consent from one never in force."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from alert_story import ADMIN, DOCTOR, Story

from carecoord.events import Kind
from carecoord.events.care import DischargeReason
from carecoord.events.consent import ExpiryEvent, Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.access_as_of import AccessAsOf
from carecoord.services.care import commands as care
from carecoord.services.consent import commands as consent

OUTSIDE = Recipient(type=RecipientType.MEMBER, id="dr-out")


def give(story: Story, **expiry: Any) -> UUID:
    return story.run(
        consent.record_consent(
            story.stamp(ADMIN),
            client_id=story.client_id,
            recipients=(OUTSIDE,),
            purpose="coordination of care",
            data_kinds=(Kind.CARE,),
            signed_on=date(2026, 1, 5),
            signed_by="Sam",
            **expiry,
        )
    )


def test_a_consent_reads_expired_by_its_discharge_or_its_date_from_then_on() -> None:
    story = Story()
    start = story.now
    until_discharge = give(
        story, expires_on=ExpiryEvent.DISCHARGE, expires_at=start + timedelta(days=30)
    )
    by_date = give(story, expires_at=start + timedelta(hours=3))
    discharged_at = story.later(hours=1)
    story.run(
        care.discharge_client(
            story.stamp(DOCTOR), client_id=story.client_id, reason=DischargeReason.INCARCERATED
        )
    )
    history = [Positioned(n, e) for n, e in enumerate(story.events(), 1)]

    def expiries(hours: float) -> dict[UUID, Any]:
        at = start + timedelta(hours=hours)
        rebuilt = AccessAsOf.rebuilt(story.client_id, history, at)
        return {c.consent_id: c.expiry(at) for c in rebuilt.consents_naming(OUTSIDE.id)}

    assert expiries(0.5) == {until_discharge: None, by_date: None}
    assert expiries(2) == {until_discharge: (discharged_at, "discharge"), by_date: None}
    assert expiries(4) == {
        until_discharge: (discharged_at, "discharge"),
        by_date: (start + timedelta(hours=3), "expires_at"),
    }
