"""A command naming a person (a care-team member, a session's clinician, a consent's member
recipient, a stock witness) refuses an id that reads as another's, naming the field and the
rule, and records nothing: before, ``nurse-<Cyrillic a>nna`` went on the care team and read
as nurse-anna in every listing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
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
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.user_ids import RULE
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands as stock
from carecoord.services.stock.movements import Waste
from carecoord.services.therapy import commands as therapy

LOOKALIKE = "nurse-\u0430nna"
"""nurse-anna with a Cyrillic a (U+0430): reads as nurse-anna, is someone else."""


def refused(story: Story | Site, write: Callable[[], object]) -> DomainError:
    """The refusal of ``write``, which records nothing."""
    before = len(story.events())
    with pytest.raises(DomainError) as refusal:
        write()
    assert len(story.events()) == before, "a refusal records nothing"
    return refusal.value


def assert_unmistakable(refusal: DomainError, field: str) -> None:
    assert (type(refusal), refusal.field, refusal.rule) == (InvalidInput, field, RULE)
    assert LOOKALIKE not in refusal.message


def test_a_care_team_member_named_by_a_lookalike_id_is_refused() -> None:
    story = Story()
    assign = assign_member(
        story.stamp(ADMIN), client_id=story.client_id, member_id=LOOKALIKE, role=Role.NURSE
    )

    assert_unmistakable(refused(story, lambda: story.run(assign)), "memberId")


def test_a_session_led_by_a_lookalike_id_is_refused() -> None:
    story = Story()

    def book() -> object:
        return story.run(
            therapy.schedule_session(
                story.stamp(THERAPIST), client_ids=[story.client_id], modality=Modality.CBT,
                format=SessionFormat.INDIVIDUAL, scheduled_for=story.now + timedelta(hours=1),
                planned_minutes=50, clinician_id=LOOKALIKE,
            )
        )  # fmt: skip

    assert_unmistakable(refused(story, book), "clinicianId")


def test_a_consent_naming_a_lookalike_member_is_refused_an_organization_is_not() -> None:
    record = ConsentRecord(uuid4())
    stamp = Stamp(ADMIN, clock=lambda: Story().now)
    terms: dict[str, Any] = {
        "purpose": "treatment", "data_kinds": (Kind.CARE,), "signed_on": date(2026, 1, 2),
        "signed_by": "Alex R.", "expiry_event": "end of treatment",
        "enrolled_at": datetime(2026, 1, 2, tzinfo=UTC),
    }  # fmt: skip
    named = (
        Recipient(type=RecipientType.MEMBER, id="dr-out"),
        Recipient(type=RecipientType.MEMBER, id=LOOKALIKE),
    )

    with pytest.raises(InvalidInput) as refusal:
        record.record_consent(stamp, uuid4(), recipients=named, **terms)

    assert (refusal.value.field, refusal.value.rule) == ("recipients.1.id", RULE)
    assert not record.pending
    clinic = Recipient(type=RecipientType.ORGANIZATION, id="\u0421\u0435\u0432\u0435\u0440")
    record.record_consent(stamp, uuid4(), recipients=(clinic,), **terms)
    assert len(record.pending) == 1, "an organization is not a person known by a user id"


def test_a_stock_witness_named_by_a_lookalike_id_is_refused() -> None:
    site = Site()
    site.receive("M-100", "1000")
    waste = stock.waste(
        site.stamp(), site="North OTP", ledger=site.ledger(), rules=DEFAULT_RULES,
        waste=Waste("M-100", Decimal(5), WasteReason.SPILL, "cup knocked over", LOOKALIKE),
    )  # fmt: skip

    assert_unmistakable(refused(site, lambda: site.run(waste)), "witnessId")


@pytest.mark.parametrize("beside", ["dr-1ee", "Dr-Lee", "DR-LEE", "dr-|ee", "dr-IEE"])
def test_a_member_whose_id_reads_as_a_team_members_is_refused(beside: str) -> None:
    story = Story()
    for member_id in ("dr-lee", "nurse-kim"):
        story.run(assign_member(story.stamp(ADMIN), client_id=story.client_id,
                                member_id=member_id, role=Role.PRESCRIBER))  # fmt: skip

    refusal = refused(
        story,
        lambda: story.run(
            assign_member(
                story.stamp(ADMIN), client_id=story.client_id, member_id=beside,
                role=Role.PRESCRIBER,
            )
        ),
    )  # fmt: skip

    assert (type(refusal), refusal.field, refusal.rule) == (InvalidInput, "memberId", RULE)
    assert "reads as dr-lee" in refusal.message


def test_ids_that_read_apart_share_a_team() -> None:
    story = Story()
    ids = ["dr-lee", "dr-lea", "dr-lee-2", "nurse-kim"]
    for member_id in ids:
        story.run(assign_member(story.stamp(ADMIN), client_id=story.client_id,
                                member_id=member_id, role=Role.NURSE))  # fmt: skip

    assigned = [e for e in story.events() if isinstance(e, CareTeamMemberAssigned)]
    assert [e.member_id for e in assigned][-4:] == ids
