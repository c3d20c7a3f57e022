"""A stored event goes to a recipient once: the consent record remembers, from the
disclosures recorded and intended on it, which events each recipient was sent or is being
sent, and withholds them when they are offered again (a replay, a restart), while other
recipients and new events go. An intent becomes a disclosure once sent, on its own terms;
one interrupted whose consent ended since is withdrawn, not sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

import pytest
from in_memory import InMemory

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureIntended, DisclosureRecorded, DisclosureWithdrawn
from carecoord.events.care import ClientEnrolled
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.services.care.record import ClientRecord
from carecoord.services.consent.commands import (
    disclose_events,
    interrupted_disclosures,
    record_sent,
    revoke_consent,
)
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
E = TypeVar("E", DisclosureIntended, DisclosureRecorded, DisclosureWithdrawn)


def care_event() -> ClientEnrolled:
    return ADMIN.event(ClientEnrolled, CLIENT, None, display_name="Sam K.", program="OTP")


def consenting(memory: InMemory) -> ConsentRecord:
    # Kept in memory as loaded: disclose_events reads the consent record alone; a
    # revocation finds the client enrolled first.
    enrolled = ClientRecord(CLIENT)
    enrolled.enroll(ADMIN, display_name="Sam K.", program="OTP", occurred_at=None)
    memory.touched[aggregate_id(ClientRecord.context, CLIENT)] = enrolled
    record = ConsentRecord(CLIENT)
    memory.touched[aggregate_id(ConsentRecord.context, CLIENT)] = record
    record.record_consent(
        ADMIN,
        uuid4(),
        recipients=(ACME, NORTH),
        purpose="care coordination",
        data_kinds=(Kind.CARE,),
        signed_on=NOW.date(),
        signed_by="Sam K.",
        expiry_event="end of treatment",
        enrolled_at=enrolled.enrolled_at,
    )
    return record


def recorded(record: Aggregate, cls: type[E]) -> list[E]:
    return [r.event for r in record.pending if isinstance(r.event, cls)]


def offer(memory: InMemory, recipient: Recipient, *events: Positioned) -> list[DisclosureIntended]:
    return memory.run(
        disclose_events(
            FORWARDER, client_id=CLIENT, recipient=recipient, events=events, destination="d.x.>"
        )
    )


def test_an_event_offered_again_is_withheld_and_intended_once() -> None:
    memory = InMemory()
    record = consenting(memory)
    first, second = Positioned(1, care_event()), Positioned(2, care_event())

    went = offer(memory, ACME, first, first)
    again = offer(memory, ACME, first, second)
    elsewhere = offer(memory, NORTH, first)

    assert [i.event_ids for i in went] == [(first.event.event_id,)]
    assert [i.event_ids for i in again] == [(second.event.event_id,)]
    assert [i.event_ids for i in elsewhere] == [(first.event.event_id,)]
    assert [(i.recipient.id, i.positions) for i in recorded(record, DisclosureIntended)] == [
        ("acme", (1,)),
        ("acme", (2,)),
        ("otp-north", (1,)),
    ]
    assert [i.description.split(" ", 1)[0] for i in went + again + elsewhere] == ["1", "1", "1"]
    assert recorded(record, DisclosureRecorded) == []


def test_an_intent_sent_is_recorded_once_on_its_own_terms_and_still_withholds() -> None:
    memory = InMemory()
    record = consenting(memory)
    offered = Positioned(7, care_event())
    [intent] = offer(memory, ACME, offered)

    for _ in range(2):  # a second record of it (a resend) records nothing more
        memory.run(record_sent(FORWARDER, client_id=CLIENT, disclosure_ids=(intent.disclosure_id,)))

    [sent] = recorded(record, DisclosureRecorded)
    assert (sent.disclosure_id, sent.consent_id, sent.event_ids, sent.purpose) == (
        intent.disclosure_id,
        intent.consent_id,
        intent.event_ids,
        intent.purpose,
    )
    assert offer(memory, ACME, offered) == []
    assert memory.run(interrupted_disclosures(FORWARDER, client_id=CLIENT, recipient=ACME)) == []


def test_an_interrupted_intent_is_sent_again_while_its_consent_holds_else_withdrawn() -> None:
    memory = InMemory()
    record = consenting(memory)
    offered = Positioned(7, care_event())
    [intent] = offer(memory, ACME, offered)

    def interrupted() -> list[DisclosureIntended]:
        return memory.run(interrupted_disclosures(FORWARDER, client_id=CLIENT, recipient=ACME))

    assert interrupted() == [intent]
    assert memory.run(interrupted_disclosures(FORWARDER, client_id=CLIENT, recipient=NORTH)) == []
    memory.run(revoke_consent(ADMIN, client_id=CLIENT, consent_id=intent.consent_id))

    assert interrupted() == []
    [withdrawn] = recorded(record, DisclosureWithdrawn)
    assert (withdrawn.disclosure_id, withdrawn.consent_id) == (
        intent.disclosure_id,
        intent.consent_id,
    )
    assert recorded(record, DisclosureRecorded) == []
    assert interrupted() == []  # withdrawn once
    assert not record.was_disclosed(ACME, offered.event.event_id)  # it did not go


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


def test_an_intent_describes_its_events_by_kind_not_type() -> None:
    """The client reads the description: on a blind taper an event type would say too much."""
    memory = InMemory()
    consenting(memory)
    offered = [Positioned(n, care_event()) for n in (1, 2)]

    [intent] = offer(memory, ACME, *offered)

    assert intent.description == "2 event(s) sent to d.x.>: care (2)"
    assert "ClientEnrolled" not in intent.description
