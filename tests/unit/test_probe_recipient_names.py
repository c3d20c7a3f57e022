"""A recipient's name is what the client's accounting of disclosures and their timeline show
("Disclosed to <name> for ..."): a name of zero-width characters was kept and read as a blank
("Disclosed to  for treatment"), and one with a line break split the entry in two. A name
now shows every character it holds (or is left out, and the id is shown); the refusal names
the field and the character, never the name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from carecoord.events import Actor, Kind, Role
from carecoord.events.consent import ConsentRecorded, Recipient, RecipientType
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = UUID("2f4e6a8c-1b3d-4f5a-8c7e-9d0b1a2c3e4f")
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN), clock=lambda: NOW)
UNSEEN = ["\u200b\u200b", "North\nClinic", "North\u2060Clinic"]


def clinic(name: str) -> Recipient:
    return Recipient(type=RecipientType.ORGANIZATION, id="clinic_north", name=name)


def consent(record: ConsentRecord, name: str) -> UUID:
    consent_id = uuid4()
    record.record_consent(
        ADMIN, consent_id, recipients=(clinic(name),), purpose="treatment",
        data_kinds=(Kind.CARE,), signed_on=date(2026, 2, 1), signed_by="Alex R.",
        expiry_event="end of treatment", enrolled_at=datetime(2026, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    return consent_id


def disclose(record: ConsentRecord, consent_id: UUID, name: str) -> None:
    record.record_disclosure(
        ADMIN, uuid4(), recipient=clinic(name), purpose="treatment", data_kinds=(Kind.CARE,),
        description="visit summary", consent_id=consent_id,
    )  # fmt: skip


@pytest.mark.parametrize("name", UNSEEN)
def test_a_consents_recipient_name_a_reader_does_not_see_is_refused(name: str) -> None:
    record = ConsentRecord(CLIENT)

    with pytest.raises(InvalidInput) as refusal:
        consent(record, name)

    assert (refusal.value.field, refusal.value.rule) == ("recipients.0.name", "visible-name")
    assert name not in refusal.value.message
    assert not record.pending


@pytest.mark.parametrize("name", UNSEEN)
def test_a_disclosures_recipient_name_a_reader_does_not_see_is_refused(name: str) -> None:
    record = ConsentRecord(CLIENT)
    consent_id = consent(record, "North Clinic")
    record.collect_events()

    with pytest.raises(InvalidInput) as refusal:
        disclose(record, consent_id, name)

    assert (refusal.value.field, refusal.value.rule) == ("recipient.name", "visible-name")
    assert not record.pending


def test_a_name_is_kept_trimmed_and_none_shows_the_consents() -> None:
    """A disclosure given no name names its recipient as the consent it goes under does
    (test_probe_disclosure_recipient_name.py), where it showed the recipient's id."""
    record = ConsentRecord(CLIENT)
    consent_id = consent(record, "  Clínica Norte ")
    disclose(record, consent_id, "")

    recorded, disclosed = (r.event for r in record.pending)
    assert isinstance(recorded, ConsentRecorded)
    assert [r.name for r in recorded.recipients] == ["Clínica Norte"]
    assert disclosed.summary() == "Disclosed to Clínica Norte for treatment"
