"""A command naming a person (a care-team member, a session's clinician, a consent's member
recipient, a stock witness) refuses an id the platform's own components sign the record
with, naming the field and the rule, and records nothing: before, a care-team member
``system`` or a witness ``alert-rules`` was recorded, and the audit log read what they did
as the platform's own act."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from alert_story import ADMIN, THERAPIST, Story
from stock_story import Site

from carecoord.events import Kind, Role
from carecoord.events.careteam import CareTeamMemberAssigned
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.stock import WasteReason
from carecoord.events.therapy import Modality, SessionFormat
from carecoord.services.careteam.commands import assign_member
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import DomainError, InvalidInput
from carecoord.services.kernel.platform_ids import RULE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands as stock
from carecoord.services.stock.movements import Waste
from carecoord.services.therapy import commands as therapy

OWN = ["system", "System", "alert-rules", "missed-dose-sweep", "disclose-clinic_north"]


def refused(story: Story | Site, write: Callable[[], object]) -> DomainError:
    """The refusal of ``write``, which records nothing."""
    before = len(story.events())
    with pytest.raises(DomainError) as refusal:
        write()
    assert len(story.events()) == before, "a refusal records nothing"
    return refusal.value


def assert_reserved(refusal: DomainError, field: str) -> None:
    assert (type(refusal), refusal.field, refusal.rule) == (InvalidInput, field, RULE)
    assert refusal.message.startswith(f"{field} reads as ")
    assert "the platform's own components sign the record with" in refusal.message


@pytest.mark.parametrize("member_id", OWN)
def test_a_care_team_member_named_by_the_platforms_id_is_refused(member_id: str) -> None:
    story = Story()
    assign = assign_member(
        story.stamp(ADMIN), client_id=story.client_id, member_id=member_id, role=Role.NURSE
    )

    assert_reserved(refused(story, lambda: story.run(assign)), "memberId")


def test_a_session_led_by_the_platforms_id_is_refused() -> None:
    story = Story()

    def book() -> object:
        return story.run(
            therapy.schedule_session(
                story.stamp(THERAPIST), client_ids=[story.client_id], modality=Modality.CBT,
                format=SessionFormat.INDIVIDUAL, scheduled_for=story.now + timedelta(hours=1),
                planned_minutes=50, clinician_id="system",
            )
        )  # fmt: skip

    assert_reserved(refused(story, book), "clinicianId")


def test_a_consent_naming_the_platforms_id_as_a_member_is_refused() -> None:
    record = ConsentRecord(uuid4())
    stamp = Stamp(ADMIN, clock=lambda: Story().now)
    named = (
        Recipient(type=RecipientType.MEMBER, id="dr-out"),
        Recipient(type=RecipientType.MEMBER, id="alert-rules"),
    )

    with pytest.raises(InvalidInput) as refusal:
        record.record_consent(
            stamp, uuid4(), recipients=named, purpose="treatment", data_kinds=(Kind.CARE,),
            signed_on=date(2026, 1, 2), signed_by="Alex R.", expiry_event="end of treatment",
            enrolled_at=datetime(2026, 1, 2, tzinfo=UTC),
        )  # fmt: skip

    assert_reserved(refusal.value, "recipients.1.id")
    assert not record.pending


def test_a_stock_witness_named_by_the_platforms_id_is_refused() -> None:
    site = Site()
    site.receive("M-100", "1000")
    waste = stock.waste(
        site.stamp(), site="North OTP", ledger=site.ledger(), rules=DEFAULT_RULES,
        waste=Waste("M-100", Decimal(5), WasteReason.SPILL, "cup knocked over", "alert-rules"),
    )  # fmt: skip

    assert_reserved(refused(site, lambda: site.run(waste)), "witnessId")


@pytest.mark.parametrize("member_id", ["systems", "nurse-system", "disclose", "alert-rules-2"])
def test_a_person_whose_id_only_holds_a_platform_id_is_taken(member_id: str) -> None:
    story = Story()

    story.run(
        assign_member(
            story.stamp(ADMIN), client_id=story.client_id, member_id=member_id, role=Role.NURSE
        )
    )

    assigned = [e for e in story.events() if isinstance(e, CareTeamMemberAssigned)]
    assert assigned[-1].member_id == member_id
