"""What a consent record keeps of the terms it is given: recipients someone can be, never
the one recording it, text a reader sees, an expiry, a signing day on the record's days, and
no twin of a consent in force (the client revokes the consent they were shown; a twin kept
granting)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from in_memory import InMemory

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.events.consent import ConsentRecorded, Recipient, RecipientType
from carecoord.services.care.record import ClientRecord
from carecoord.services.consent import commands
from carecoord.services.consent.record import TERM_MAX, TERM_PLAUSIBLE, ConsentRecord
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import DomainError, Forbidden, InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ENROLLED = datetime(2026, 1, 5, 9, tzinfo=UTC)
CLIENT = UUID("5d0c1a9e-2b7f-4f3e-8a61-0c9d2e4b7a13")


def stamp(role: Role = Role.PROGRAM_ADMIN, user: str = "admin-1") -> Stamp:
    return Stamp(Actor(id=user, role=role), clock=lambda: NOW)


def member(member_id: str, name: str = "") -> Recipient:
    return Recipient(type=RecipientType.MEMBER, id=member_id, name=name)


def record_consent(record: ConsentRecord, by: Stamp | None = None, **terms: Any) -> UUID:
    consent_id = uuid4()
    given: dict[str, Any] = {
        "recipients": (member("dr-out"),),
        "purpose": "treatment",
        "data_kinds": (Kind.CARE,),
        "signed_on": date(2026, 2, 1),
        "signed_by": "Alex R.",
        "expiry_event": "end of treatment",
        "enrolled_at": ENROLLED,
    }
    record.record_consent(by or stamp(), consent_id, **(given | terms))
    return consent_id


def refused(record: ConsentRecord, **terms: Any) -> DomainError:
    with pytest.raises(DomainError) as refusal:
        record_consent(record, **terms)
    assert not record.pending, "a refusal records nothing"
    return refusal.value


@pytest.mark.parametrize("given", ["\u200b", "   ", "dr\u00a0out", "dr\nout", "\u2060\u200d"])
def test_a_recipient_no_one_can_be_is_refused_without_echoing_it(given: str) -> None:
    refusal = refused(ConsentRecord(CLIENT), recipients=(member("dr-ok"), member(given)))

    assert isinstance(refusal, InvalidInput)
    assert (refusal.field, refusal.rule) == ("recipients.1.id", "recipient-id")
    assert given.strip() not in refusal.message or not given.strip()


def test_recipients_are_kept_trimmed_and_once() -> None:
    record = ConsentRecord(CLIENT)
    record_consent(
        record, recipients=(member(" dr-out\t", " Dr. Out "), member("dr-out"), member("dr-b"))
    )

    [event] = [r.event for r in record.pending]
    assert isinstance(event, ConsentRecorded)
    assert [(r.id, r.name) for r in event.recipients] == [("dr-out", "Dr. Out"), ("dr-b", "")]


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.PRESCRIBER, Role.NURSE])
def test_no_one_records_a_consent_naming_themself(role: Role) -> None:
    own = stamp(role, "ther-2")

    with pytest.raises(Forbidden) as refusal:
        record_consent(
            ConsentRecord(CLIENT),
            own,
            recipients=(member("dr-out"), member(" ther-2 ")),
            data_kinds=(Kind.COUNSELING_NOTE,),
        )

    assert (refusal.value.field, refusal.value.rule) == (
        "recipients.1.id",
        "recipient-not-recorder",
    )


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.PRESCRIBER, Role.NURSE])
def test_a_clinician_records_no_consent_opening_a_colleagues_notes(role: Role) -> None:
    record = ConsentRecord(CLIENT)

    with pytest.raises(Forbidden) as refusal:
        record_consent(
            record, stamp(role, "ther-2"), recipients=(member("ther-3"),),
            data_kinds=(Kind.COUNSELING_NOTE,),
        )  # fmt: skip
    record_consent(record, stamp(role, "ther-2"), recipients=(member("ther-3"),))

    assert (refusal.value.field, refusal.value.rule) == ("dataKinds", "note-consent-by-admin")
    [event] = [r.event for r in record.pending]
    assert isinstance(event, ConsentRecorded)
    assert event.data_kinds == (Kind.CARE,)


def test_a_program_admin_records_a_consent_opening_notes() -> None:
    record = ConsentRecord(CLIENT)

    record_consent(record, recipients=(member("ther-3"),), data_kinds=(Kind.COUNSELING_NOTE,))

    [event] = [r.event for r in record.pending]
    assert isinstance(event, ConsentRecorded)
    assert event.data_kinds == (Kind.COUNSELING_NOTE,)


def test_an_organization_named_like_the_recorder_is_another_recipient() -> None:
    record = ConsentRecord(CLIENT)
    org = Recipient(type=RecipientType.ORGANIZATION, id="admin-1")

    record_consent(record, recipients=(org,))

    assert len(record.pending) == 1


@pytest.mark.parametrize("field", ["purpose", "signed_by"])
@pytest.mark.parametrize("text", ["\u200b\u200b", " \u2060 "])
def test_a_purpose_or_signature_that_shows_nothing_is_refused(field: str, text: str) -> None:
    refusal = refused(ConsentRecord(CLIENT), **{field: text})

    assert isinstance(refusal, InvalidInput)
    assert refusal.field == {"purpose": "purpose", "signed_by": "signedBy"}[field]
    assert refusal.rule == "shows-text"


def test_a_twin_of_a_consent_in_force_is_refused_naming_it() -> None:
    record = ConsentRecord(CLIENT)
    first = record_consent(record, recipients=(member("dr-out"), member("dr-b")))
    record.collect_events()

    twin = refused(record, recipients=(member("dr-b"), member(" dr-out")), purpose=" treatment ")

    assert isinstance(twin, RuleViolation)
    assert (twin.field, twin.rule) == ("recipients", "consent-in-force")
    assert str(first) in twin.message


def test_a_twin_ending_on_the_same_condition_in_other_capitals_is_refused() -> None:
    """A consent ending on another condition is another consent (42 CFR 2.31(a)(6)); one
    saying the same condition again is the form sent twice."""
    record = ConsentRecord(CLIENT)
    first = record_consent(record, expiry_event="end of treatment")
    record.collect_events()

    twin = refused(record, expiry_event=" End of  Treatment")

    assert (twin.field, twin.rule, str(first) in twin.message) == (
        "recipients", "consent-in-force", True,
    )  # fmt: skip


@pytest.mark.parametrize(
    "differs",
    [
        {"data_kinds": (Kind.CARE, Kind.MEDICATION)},
        {"purpose": "payment"},
        {"expires_at": NOW + timedelta(days=30)},
        {"expiry_event": "completion of the drug court program"},
        {"recipients": (member("dr-other"),)},
    ],
)
def test_a_consent_granting_something_else_is_kept(differs: dict[str, Any]) -> None:
    record = ConsentRecord(CLIENT)
    record_consent(record)

    record_consent(record, **differs)

    assert len(record.pending) == 2


def test_the_same_terms_again_once_the_first_is_revoked_are_kept() -> None:
    record = ConsentRecord(CLIENT)
    first = record_consent(record)
    record.revoke(stamp(), consent_id=first, reason="in writing")

    record_consent(record)

    assert len(record.pending) == 3


@pytest.mark.parametrize("reason", ["\u200b" * 12, "a \u200b \u200b \u200b b c d e f", " " * 12])
def test_an_emergency_reason_needs_ten_characters_a_reader_sees(reason: str) -> None:
    record = ConsentRecord(CLIENT)

    with pytest.raises(InvalidInput) as refusal:
        record.break_glass(
            stamp(Role.NURSE, "nurse-er"), access_id=uuid4(), reason=reason, on_care_team=False
        )

    assert (refusal.value.field, refusal.value.rule) == ("reason", "emergency-reason")
    assert not record.pending


def test_a_disclosure_keeps_its_recipient_trimmed_and_refuses_an_empty_description() -> None:
    record = ConsentRecord(CLIENT)
    consent_id = record_consent(record)
    record.collect_events()
    terms: dict[str, Any] = {
        "recipient": member(" dr-out "),
        "purpose": "treatment",
        "data_kinds": (Kind.CARE,),
        "consent_id": consent_id,
    }

    with pytest.raises(InvalidInput) as blank:
        record.record_disclosure(stamp(), uuid4(), description="\u200b", **terms)
    record.record_disclosure(stamp(), uuid4(), description="care plan faxed", **terms)

    assert (blank.value.field, blank.value.rule) == ("description", "shows-text")
    [event] = [r.event for r in record.pending]
    assert isinstance(event, DisclosureRecorded)
    assert event.recipient.id == "dr-out"


@pytest.mark.parametrize("reason", ["urgent", "\u200b" * 12, "x" * 1001])
def test_an_emergency_reason_is_refused_before_the_client_is_looked_up(reason: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        commands.break_glass(stamp(Role.NURSE, "nurse-er"), client_id=uuid4(), reason=reason)

    assert (refusal.value.field, refusal.value.rule) == ("reason", "emergency-reason")


@pytest.mark.parametrize(
    ("zone", "now", "today"),
    [
        # 20:00 UTC on 1 March is 01:30 on the 2nd in Kolkata; 03:00 UTC on the 2nd is 19:00
        # on the 1st in Los Angeles.
        ("Asia/Kolkata", datetime(2026, 3, 1, 20, tzinfo=UTC), date(2026, 3, 2)),
        ("America/Los_Angeles", datetime(2026, 3, 2, 3, tzinfo=UTC), date(2026, 3, 1)),
    ],
)
def test_a_consent_is_signed_on_a_day_of_the_program(zone: str, now: datetime, today: date) -> None:
    """The day on the form is the program's: signed today there is accepted, tomorrow there
    is not (UTC's day refused Kolkata's today and accepted Los Angeles' tomorrow)."""
    there = Stamp(
        Actor(id="admin-1", role=Role.PROGRAM_ADMIN), clock=lambda: now, zone=ZoneInfo(zone)
    )
    record_consent(ConsentRecord(CLIENT), there, signed_on=today)

    refusal = refused(ConsentRecord(CLIENT), by=there, signed_on=today + timedelta(days=1))
    assert (refusal.field, refusal.rule) == ("signedOn", "signed-not-future")


@pytest.mark.parametrize("expiry_event", ["", "   ", "\u200b\u2060"])
def test_a_consent_stating_no_expiry_is_refused(expiry_event: str) -> None:
    """42 CFR 2.31(a)(6): a date, an event or a condition; a consent without one was kept
    and granted until revoked."""
    refusal = refused(ConsentRecord(CLIENT), expiry_event=expiry_event)

    assert isinstance(refusal, InvalidInput)
    assert (refusal.field, refusal.rule) == ("expiresAt", "expiry-required")
    assert "expiryEvent" in refusal.message


@pytest.mark.parametrize(
    "expiry",
    [
        {"expires_at": NOW + timedelta(days=365), "expiry_event": ""},
        {"expiry_event": " none "},
        {"expires_at": NOW + timedelta(days=1), "expiry_event": "end of treatment"},
    ],
)
def test_a_consent_stating_an_expiry_date_or_event_is_kept(expiry: dict[str, Any]) -> None:
    record = ConsentRecord(CLIENT)

    record_consent(record, **expiry)

    [event] = [r.event for r in record.pending]
    assert isinstance(event, ConsentRecorded)
    assert (event.expires_at, event.expiry_event) == (
        expiry.get("expires_at"),
        expiry["expiry_event"].strip(),
    )


@pytest.mark.parametrize(
    "signed_on", [date(1900, 1, 1), date(2025, 12, 31), ENROLLED.date() - timedelta(days=1)]
)
def test_a_consent_signed_before_the_enrolment_is_refused(signed_on: date) -> None:
    refusal = refused(ConsentRecord(CLIENT), signed_on=signed_on)

    assert isinstance(refusal, InvalidInput)
    assert (refusal.field, refusal.rule) == ("signedOn", "after-enrolment")
    assert str(ENROLLED.date()) in refusal.message


def test_a_consent_signed_on_the_enrolment_day_in_the_program_is_kept() -> None:
    """The enrolment's day is the program's: 02:00 UTC on 5 January is the 4th in Los
    Angeles, and a consent signed there that day is kept."""
    there = Stamp(
        Actor(id="admin-1", role=Role.PROGRAM_ADMIN),
        clock=lambda: NOW,
        zone=ZoneInfo("America/Los_Angeles"),
    )
    enrolled = datetime(2026, 1, 5, 2, tzinfo=UTC)
    record = ConsentRecord(CLIENT)

    record_consent(record, there, signed_on=date(2026, 1, 4), enrolled_at=enrolled)

    assert len(record.pending) == 1
    refusal = refused(
        ConsentRecord(CLIENT), by=there, signed_on=date(2026, 1, 3), enrolled_at=enrolled
    )
    assert (refusal.field, refusal.rule) == ("signedOn", "after-enrolment")


def test_an_expiry_before_the_signing_day_is_refused() -> None:
    refusal = refused(
        ConsentRecord(CLIENT),
        signed_on=date(2026, 2, 1),
        expires_at=datetime(2026, 1, 20, tzinfo=UTC),
    )

    assert (refusal.field, refusal.rule) == ("expiresAt", "future-expiry")


def test_a_consent_recorded_without_an_expiry_before_it_was_required_still_grants() -> None:
    """Stored history is never rewritten: such a consent reads back and applies as it did,
    in force until revoked, and a disclosure under it is recorded."""
    record = ConsentRecord(CLIENT)
    consent_id = uuid4()
    record.apply(
        stamp().event(
            ConsentRecorded, CLIENT, None, consent_id=consent_id, recipients=(member("dr-out"),),
            purpose="treatment", data_kinds=(Kind.CARE,), signed_on=date(2026, 2, 1),
            signed_by="Alex R.",
        )
    )  # fmt: skip

    assert record.consent_for(member("dr-out"), (Kind.CARE,), NOW + timedelta(days=3650))
    record.record_disclosure(
        stamp(), uuid4(), recipient=member("dr-out"), purpose="treatment",
        data_kinds=(Kind.CARE,), description="care plan faxed", consent_id=consent_id,
    )  # fmt: skip
    assert len(record.pending) == 1


def test_recording_a_consent_checks_its_signing_day_against_the_clients_enrolment() -> None:
    memory = InMemory()
    client = ClientRecord(CLIENT)
    client.enroll(stamp(), display_name="Alex R.", program="OTP", occurred_at=ENROLLED)
    memory.touched[aggregate_id(ClientRecord.context, CLIENT)] = client

    def consent(signed_on: date) -> Command[UUID]:
        return commands.record_consent(
            stamp(), client_id=CLIENT, recipients=(member("dr-out"),), purpose="treatment",
            data_kinds=(Kind.CARE,), signed_on=signed_on, signed_by="Alex R.",
            expiry_event="end of treatment",
        )  # fmt: skip

    with pytest.raises(InvalidInput) as refusal:
        memory.run(consent(date(1900, 1, 1)))
    kept = memory.run(consent(ENROLLED.date()))

    assert (refusal.value.field, refusal.value.rule) == ("signedOn", "after-enrolment")
    record = memory.touched[aggregate_id(ConsentRecord.context, CLIENT)]
    assert [getattr(r.event, "consent_id", None) for r in record.pending] == [kept]


def test_a_recipient_named_once_keeps_its_name_where_it_was_first_given() -> None:
    """Given without a name first and with one after, the name was dropped."""
    record = ConsentRecord(CLIENT)
    record_consent(record, recipients=(member("dr-out"), member("dr-b"), member("dr-out", "Dr. O")))

    [event] = [r.event for r in record.pending]
    assert isinstance(event, ConsentRecorded)
    assert [(r.id, r.name) for r in event.recipients] == [("dr-out", "Dr. O"), ("dr-b", "")]


def test_an_expiry_past_the_longest_term_is_refused_and_one_within_it_recorded() -> None:
    """``expiresAt: 2199-01-01`` was recorded: a typo that granted for the client's life."""
    refusal = refused(ConsentRecord(CLIENT), expires_at=NOW + TERM_MAX + timedelta(minutes=1))
    record = ConsentRecord(CLIENT)
    record_consent(record, expires_at=NOW + TERM_MAX)

    assert (refusal.field, refusal.rule) == ("expiresAt", TERM_PLAUSIBLE)
    assert (NOW + TERM_MAX).isoformat(timespec="minutes") in refusal.message
    assert len(record.pending) == 1


def test_a_consent_recorded_to_a_far_date_before_it_was_refused_still_grants() -> None:
    record = ConsentRecord(CLIENT)
    far = datetime(2199, 1, 1, tzinfo=UTC)
    record.apply(
        stamp().event(
            ConsentRecorded, CLIENT, None, consent_id=uuid4(), recipients=(member("dr-out"),),
            purpose="treatment", data_kinds=(Kind.CARE,), signed_on=date(2026, 2, 1),
            signed_by="Alex R.", expires_at=far,
        )
    )  # fmt: skip

    assert record.consent_for(member("dr-out"), (Kind.CARE,), far - timedelta(days=1))
    assert not record.consent_for(member("dr-out"), (Kind.CARE,), far)
