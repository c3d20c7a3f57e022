"""A stored event goes to a recipient once: the consent record remembers, from the
disclosures recorded on it, which events each recipient was sent, and withholds them when
they are offered again (a replay, a restart), while other recipients and new events go."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from in_memory import InMemory

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.events.care import ClientEnrolled
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent.commands import disclose_events
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.aggregate import Aggregate, aggregate_id
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = UUID("0b3c7a52-4f0e-4c51-9d1a-6d3a0f6b8e11")
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN), clock=lambda: NOW)
FORWARDER = Stamp(Actor(id="disclose-acme", role=Role.SYSTEM), clock=lambda: NOW)
ACME = Recipient(type=RecipientType.ORGANIZATION, id="acme", name="Acme")
NORTH = Recipient(type=RecipientType.ORGANIZATION, id="otp-north", name="OTP North")


def care_event() -> ClientEnrolled:
    return ADMIN.event(ClientEnrolled, CLIENT, None, display_name="Sam K.", program="OTP")


def consenting(memory: InMemory) -> ConsentRecord:
    # Kept in memory as loaded: disclose_events reads the consent record alone.
    record = ConsentRecord(CLIENT)
    memory.touched[aggregate_id(ConsentRecord.context, CLIENT)] = record
    record.record_consent(
        ADMIN,
        uuid4(),
        recipients=(ACME, NORTH),
        purpose="care coordination",
        data_kinds=(Kind.CARE,),
        signed_on=date(2026, 1, 1),
        signed_by="Sam K.",
    )
    return record


def disclosures(record: Aggregate) -> list[DisclosureRecorded]:
    return [r.event for r in record.pending if isinstance(r.event, DisclosureRecorded)]


def test_an_event_offered_again_is_withheld_and_recorded_once() -> None:
    memory = InMemory()
    record = consenting(memory)
    first, second = care_event(), care_event()

    def offer(recipient: Recipient, *events: ClientEnrolled) -> dict[UUID, UUID]:
        return memory.run(
            disclose_events(
                FORWARDER,
                client_id=CLIENT,
                recipient=recipient,
                events=events,
                destination="disclosed.x.>",
            )
        )

    went = offer(ACME, first, first)
    again = offer(ACME, first, second)
    elsewhere = offer(NORTH, first)

    assert list(went) == [first.event_id]
    assert list(again) == [second.event_id]
    assert list(elsewhere) == [first.event_id]
    assert [(d.recipient.id, d.event_ids) for d in disclosures(record)] == [
        ("acme", (first.event_id,)),
        ("acme", (second.event_id,)),
        ("otp-north", (first.event_id,)),
    ]
    assert [d.description.split(" ", 1)[0] for d in disclosures(record)] == ["1", "1", "1"]


def test_a_disclosure_naming_an_event_sent_already_is_refused() -> None:
    record = consenting(InMemory())
    [consent_id] = record.consents
    event = care_event()

    def disclose() -> None:
        record.record_disclosure(
            FORWARDER,
            uuid4(),
            recipient=ACME,
            purpose="care coordination",
            data_kinds=(Kind.CARE,),
            description="1 event(s)",
            consent_id=consent_id,
            event_ids=(event.event_id,),
        )

    disclose()
    with pytest.raises(RuleViolation) as twice:
        disclose()

    assert twice.value.rule == "disclosed-once"


def test_what_went_is_read_back_from_the_recorded_disclosures() -> None:
    record = consenting(InMemory())
    offered = care_event()
    record.record_disclosure(
        FORWARDER,
        uuid4(),
        recipient=ACME,
        purpose="care coordination",
        data_kinds=(Kind.CARE,),
        description="1 event(s)",
        consent_id=next(iter(record.consents)),
        event_ids=(offered.event_id,),
    )

    replayed = ConsentRecord.replay(None, record.pending)

    assert replayed is not None
    assert replayed.was_disclosed(ACME, offered.event_id)
    assert not replayed.was_disclosed(NORTH, offered.event_id)
