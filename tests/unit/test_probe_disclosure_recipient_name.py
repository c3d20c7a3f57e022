"""The accounting of disclosures names whom the data went to (42 CFR 2.24): a forwarder
started without ``--name`` recorded each intent and disclosure to a recipient of no name,
and the client's accounting read "Disclosure to  intended for housing", though the consent
it went under names the organization. A disclosure given no name now takes the consent's
name for the recipient; one given a name keeps it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from in_memory import InMemory

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.events.care import ClientEnrolled
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.services.care.record import ClientRecord
from carecoord.services.consent.commands import disclose_events, record_sent
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = UUID("5d0c1f7a-2b4e-4c2a-9f55-3e1d2c7b9a10")
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN), clock=lambda: NOW)
FORWARDER = Stamp(Actor(id="disclose-acme", role=Role.SYSTEM), clock=lambda: NOW)
NAMED = Recipient(type=RecipientType.ORGANIZATION, id="acme", name="Acme Housing")
UNNAMED = Recipient(type=RecipientType.ORGANIZATION, id="acme")


def consented(memory: InMemory) -> tuple[ConsentRecord, UUID]:
    enrolled = ClientRecord(CLIENT)
    enrolled.enroll(ADMIN, display_name="Sam K.", program="OTP", occurred_at=None)
    memory.touched[aggregate_id(ClientRecord.context, CLIENT)] = enrolled
    record = ConsentRecord(CLIENT)
    memory.touched[aggregate_id(ConsentRecord.context, CLIENT)] = record
    consent_id = uuid4()
    record.record_consent(
        ADMIN, consent_id, recipients=(NAMED,), purpose="housing", data_kinds=(Kind.CARE,),
        signed_on=NOW.date(), signed_by="Sam K.", expiry_event="end of treatment",
        enrolled_at=enrolled.enrolled_at,
    )  # fmt: skip
    return record, consent_id


def test_a_forwarders_disclosure_given_no_name_names_the_recipient_as_its_consent_does() -> None:
    memory = InMemory()
    record, _ = consented(memory)
    event = ADMIN.event(ClientEnrolled, CLIENT, None, display_name="Sam K.", program="OTP")

    [intent] = memory.run(
        disclose_events(FORWARDER, client_id=CLIENT, recipient=UNNAMED,
                        events=[Positioned(3, event)], destination="d.acme.>")
    )  # fmt: skip
    memory.run(record_sent(FORWARDER, client_id=CLIENT, disclosure_ids=(intent.disclosure_id,)))

    [sent] = [r.event for r in record.pending if isinstance(r.event, DisclosureRecorded)]
    assert (intent.recipient.name, sent.recipient.name) == ("Acme Housing", "Acme Housing")
    assert sent.summary() == "Disclosed to Acme Housing for housing"


def test_a_disclosure_by_hand_keeps_the_name_given_and_takes_the_consents_for_none() -> None:
    memory = InMemory()
    record, consent_id = consented(memory)
    for given in (UNNAMED, UNNAMED.model_copy(update={"name": "Acme (intake desk)"})):
        record.record_disclosure(
            ADMIN, uuid4(), recipient=given, consent_id=consent_id, purpose="housing",
            data_kinds=(Kind.CARE,), description="intake form",
        )  # fmt: skip

    recorded = [r.event for r in record.pending if isinstance(r.event, DisclosureRecorded)]
    assert [d.recipient.name for d in recorded] == ["Acme Housing", "Acme (intake desk)"]
