"""A consent given until discharge (``expiresOn: DISCHARGE``) ends at the client's discharge,
recorded with it on the consent record: nothing is disclosed under it after, the record
rebuilt at a time reads it ended from then, and a readmission does not revive it. A consent
ending on a date, or on an event only written down, is left as it was."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from alert_story import ADMIN, DOCTOR, Story

from carecoord.events import Actor, Kind, Role, catalog
from carecoord.events.care import DischargeReason
from carecoord.events.consent import ConsentExpired, ExpiryEvent, Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.access_as_of import AccessAsOf
from carecoord.services.care import commands as care
from carecoord.services.consent import commands as consent
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import DomainError, InvalidInput, RuleViolation

COURT = Recipient(type=RecipientType.ORGANIZATION, id="drug-court", name="Drug Court")
OUTSIDE = Recipient(type=RecipientType.MEMBER, id="dr-out")
READER = Actor(id="dr-out", role=Role.PRESCRIBER)


def give(story: Story, **expiry: Any) -> UUID:
    return story.run(
        consent.record_consent(
            story.stamp(ADMIN),
            client_id=story.client_id,
            recipients=(COURT, OUTSIDE),
            purpose="court supervision",
            data_kinds=(Kind.CARE,),
            signed_on=date(2026, 1, 5),
            signed_by="Sam",
            **expiry,
        )
    )


def record(story: Story) -> ConsentRecord:
    found = story.touched[aggregate_id(ConsentRecord.context, story.client_id)]
    assert isinstance(found, ConsentRecord)
    return found


def disclose(story: Story, consent_id: UUID) -> UUID:
    return story.run(
        consent.record_disclosure(
            story.stamp(ADMIN),
            client_id=story.client_id,
            recipient=COURT,
            purpose="court supervision",
            data_kinds=(Kind.CARE,),
            description="attendance letter",
            consent_id=consent_id,
        )
    ).id


def discharge(story: Story) -> None:
    story.run(
        care.discharge_client(
            story.stamp(DOCTOR), client_id=story.client_id, reason=DischargeReason.INCARCERATED
        )
    )


def test_a_consent_until_discharge_ends_at_the_discharge_and_one_by_date_does_not() -> None:
    story = Story()
    until_discharge = give(story, expires_on=ExpiryEvent.DISCHARGE)
    by_date = give(story, expires_at=story.now + timedelta(days=90))
    written_down = give(story, expiry_event="end of treatment")
    disclose(story, until_discharge)
    discharged_at = story.later(hours=2)

    discharge(story)

    expired = [e for e in story.events() if isinstance(e, ConsentExpired)]
    assert [(e.consent_id, e.occurred_at, e.expired_on) for e in expired] == [
        (until_discharge, discharged_at, ExpiryEvent.DISCHARGE)
    ]
    consents = record(story).consents
    assert not consents[until_discharge].in_force(story.later(minutes=1))
    assert consents[by_date].in_force(story.now)
    assert consents[written_down].in_force(story.now)
    with pytest.raises(RuleViolation) as refusal:
        disclose(story, until_discharge)
    assert (refusal.value.field, refusal.value.rule) == ("consentId", "consent-in-force")
    disclose(story, by_date)
    scope = json.loads(consents[until_discharge].scope())
    assert scope["expiresOn"] == "DISCHARGE"


def test_a_readmission_does_not_revive_it_and_a_new_one_ends_at_the_next_discharge() -> None:
    story = Story()
    first = give(story, expires_on=ExpiryEvent.DISCHARGE)
    story.later(hours=1)
    discharge(story)
    story.later(days=3)
    story.run(care.readmit_client(story.stamp(DOCTOR), client_id=story.client_id))

    assert not record(story).consents[first].in_force(story.later(minutes=1))
    second = give(story, expires_on=ExpiryEvent.DISCHARGE)
    assert record(story).consents[second].in_force(story.now)
    story.later(days=1)
    discharge(story)
    expired = [e.consent_id for e in story.events() if isinstance(e, ConsentExpired)]
    assert expired == [first, second]


def test_a_consent_until_discharge_is_refused_for_a_client_discharged_now() -> None:
    story = Story()
    story.later(hours=1)
    discharge(story)
    with pytest.raises(RuleViolation) as refusal:
        give(story, expires_on=ExpiryEvent.DISCHARGE)
    assert (refusal.value.field, refusal.value.rule) == ("expiresOn", "expiry-passed")
    give(story, expiry_event="end of treatment")


def test_expires_on_alone_states_an_expiry_and_none_at_all_is_refused() -> None:
    story = Story()
    give(story, expires_on=ExpiryEvent.DISCHARGE)
    with pytest.raises(InvalidInput) as refusal:
        give(story)
    assert (refusal.value.field, refusal.value.rule) == ("expiresAt", "expiry-required")


def test_with_a_date_too_it_ends_at_whichever_comes_first() -> None:
    story = Story()
    date_first = give(
        story, expires_at=story.now + timedelta(hours=1), expires_on=ExpiryEvent.DISCHARGE
    )
    discharge_first = give(
        story, expires_at=story.now + timedelta(days=30), expires_on=ExpiryEvent.DISCHARGE
    )
    story.later(hours=2)
    discharge(story)

    consents = record(story).consents
    assert not consents[date_first].in_force(story.now)
    assert not consents[discharge_first].in_force(story.now)
    expired = [e.consent_id for e in story.events() if isinstance(e, ConsentExpired)]
    assert expired == [discharge_first], "one already past its date expires on nothing more"


def test_twins_differ_by_the_event_they_end_on() -> None:
    story = Story()
    give(story, expiry_event="end of treatment", expires_on=ExpiryEvent.DISCHARGE)
    give(story, expiry_event="end of treatment")
    with pytest.raises(DomainError) as refusal:
        give(story, expiry_event="End of treatment", expires_on=ExpiryEvent.DISCHARGE)
    assert refusal.value.rule == "consent-in-force"


def test_access_at_a_time_reads_it_ended_from_the_discharge() -> None:
    story = Story()
    consent_id = give(story, expires_on=ExpiryEvent.DISCHARGE)
    before = story.later(hours=1)
    discharged_at = story.later(hours=1)
    discharge(story)
    after = story.later(minutes=1)
    history = [Positioned(n, e) for n, e in enumerate(story.events(), 1)]

    def consents_at(at: datetime) -> list[UUID]:
        rebuilt = AccessAsOf.rebuilt(story.client_id, history, at)
        return [c.consent_id for c in rebuilt.consents_for(READER)]

    assert consents_at(before) == [consent_id]
    assert consents_at(discharged_at - timedelta(seconds=1)) == [consent_id]
    assert consents_at(after) == []


def test_a_consent_of_version_1_is_read_as_expiring_on_no_event() -> None:
    story = Story()
    give(story, expiry_event="end of treatment")
    recorded = story.events()[-1]
    body = json.loads(catalog.encode(recorded))
    del body["expires_on"]
    body["schema_version"] = 1

    event = catalog.decode("consent.ConsentRecorded", json.dumps(body).encode())

    assert event == recorded
    assert event.schema_version == 2


def test_the_forwarder_sends_nothing_under_it_after_the_discharge() -> None:
    story = Story()
    until_discharge = give(story, expires_on=ExpiryEvent.DISCHARGE)
    offered = [Positioned(1, story.events()[0])]  # the enrolment, a care entry

    def forwarded() -> list[UUID | None]:
        intents = story.run(
            consent.disclose_events(
                story.stamp(ADMIN),
                client_id=story.client_id,
                recipient=COURT,
                events=offered,
                destination="disclosed.drug-court",
            )
        )
        return [i.consent_id for i in intents]

    story.later(hours=1)
    discharge(story)
    assert forwarded() == []
    story.later(days=2)
    story.run(care.readmit_client(story.stamp(DOCTOR), client_id=story.client_id))
    assert forwarded() == [], "a readmission does not revive it"
    assert not record(story).consents[until_discharge].in_force(story.now)
    by_date = give(story, expires_at=story.now + timedelta(days=30))
    assert forwarded() == [by_date], "the same event goes under a consent in force"


def test_a_discharge_dated_back_before_the_consent_was_recorded_ends_it_at_its_recording() -> None:
    story = Story()
    discharged_at = story.later(hours=1)
    recorded_at = story.later(hours=1)
    consent_id = give(story, expires_on=ExpiryEvent.DISCHARGE)
    story.later(hours=1)

    story.run(
        care.discharge_client(
            story.stamp(DOCTOR),
            client_id=story.client_id,
            reason=DischargeReason.INCARCERATED,
            discharged_at=discharged_at,
        )
    )

    expired = [e for e in story.events() if isinstance(e, ConsentExpired)]
    assert [(e.consent_id, e.occurred_at) for e in expired] == [(consent_id, recorded_at)], (
        "an expiry dated before the consent was recorded would end it before it began"
    )
    assert not record(story).consents[consent_id].in_force(story.now)


def test_one_signed_before_a_discharge_since_is_refused_after_the_readmission() -> None:
    story = Story()
    story.later(days=3)
    discharge(story)
    story.later(days=2)
    story.run(care.readmit_client(story.stamp(DOCTOR), client_id=story.client_id))

    with pytest.raises(RuleViolation) as refusal:
        give(story, expires_on=ExpiryEvent.DISCHARGE)  # signed 2026-01-05, discharged 01-08

    assert (refusal.value.field, refusal.value.rule) == ("expiresOn", "expiry-passed")
    assert not record(story).consents, "its discharge happened: it would grant until the next"
