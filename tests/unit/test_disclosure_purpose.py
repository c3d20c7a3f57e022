"""A disclosure under a consent is made for the purpose the consent states (42 CFR
2.31(a)(4); 2.13(a) limits it to what that purpose needs). Any purpose was recorded under a
consent: one "for marketing" under a consent given for a drug court read as consented. It
now takes the consent's purpose, left out or restated with other capitals or spacing, and
any other is refused naming ``purpose``, recording nothing. One under an emergency access
states its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict, Unpack
from uuid import UUID, uuid4

import pytest

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import DomainError, InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = UUID("7a3e0c52-6d1f-4f0b-8a2e-9c4b1d7e5f30")
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN), clock=lambda: NOW)
COURT = Recipient(type=RecipientType.ORGANIZATION, id="drug-court", name="Drug Court")
INSURER = Recipient(type=RecipientType.ORGANIZATION, id="insurer", name="Insurer")


def consented() -> tuple[ConsentRecord, UUID]:
    record, consent_id = ConsentRecord(CLIENT), uuid4()
    record.record_consent(
        ADMIN, consent_id, recipients=(COURT,), purpose="drug court", data_kinds=(Kind.DOSING,),
        signed_on=NOW.date(), signed_by="Sam K.", expiry_event="end of the proceedings",
        enrolled_at=datetime(2026, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    record.collect_events()
    return record, consent_id


class Under(TypedDict, total=False):
    """The disclosure's recipient and purpose, and the consent or emergency access it is under."""

    recipient: Recipient
    purpose: str | None
    consent_id: UUID
    break_glass_id: UUID


def disclosed(record: ConsentRecord, **terms: Unpack[Under]) -> DisclosureRecorded:
    record.record_disclosure(
        ADMIN, uuid4(), data_kinds=(Kind.DOSING,), description="dose history", **terms
    )
    [recorded] = record.collect_events()
    assert isinstance(recorded.event, DisclosureRecorded)
    return recorded.event


def refused(record: ConsentRecord, **terms: Unpack[Under]) -> DomainError:
    with pytest.raises(DomainError) as refusal:
        disclosed(record, **terms)
    assert record.collect_events() == []
    return refusal.value


@pytest.mark.parametrize("purpose", [None, "drug court", "  Drug   COURT ", "DRUG\tcourt"])
def test_a_disclosure_under_a_consent_is_recorded_for_its_purpose(purpose: str | None) -> None:
    record, consent_id = consented()
    sent = disclosed(record, recipient=COURT, purpose=purpose, consent_id=consent_id)
    assert sent.purpose == "drug court"


def test_another_purpose_under_a_consent_is_refused_naming_the_consents() -> None:
    record, consent_id = consented()
    refusal = refused(record, recipient=COURT, purpose="marketing", consent_id=consent_id)
    assert isinstance(refusal, RuleViolation)
    assert (refusal.field, refusal.rule) == ("purpose", "consent-purpose")
    assert "'drug court'" in refusal.message


def test_the_consents_purpose_is_told_only_to_one_it_lets_disclose() -> None:
    record, consent_id = consented()
    unnamed = refused(record, recipient=INSURER, purpose="marketing", consent_id=consent_id)
    assert (unnamed.field, unnamed.rule) == ("recipient", "consent-names-recipient")
    assert "drug court" not in unnamed.message


def test_a_disclosure_under_an_emergency_access_states_its_own_purpose() -> None:
    record, access_id = ConsentRecord(CLIENT), uuid4()
    nurse = Stamp(Actor(id="nurse-er", role=Role.NURSE), clock=lambda: NOW)
    record.break_glass(
        nurse, access_id=access_id, reason="overdose in the lobby", on_care_team=False
    )
    record.collect_events()

    unstated = refused(record, recipient=COURT, break_glass_id=access_id)
    sent = disclosed(record, recipient=COURT, purpose="medical emergency", break_glass_id=access_id)

    assert isinstance(unstated, InvalidInput)
    assert (unstated.field, unstated.rule) == ("purpose", "purpose-stated")
    assert sent.purpose == "medical emergency"
