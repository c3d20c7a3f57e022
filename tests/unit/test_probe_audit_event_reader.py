"""A read's AuditEvent names its reader by the same identifier system as every other user in
an export (CareTeam members, performers, authors), so a FHIR client matches them by system
and value; the reader's id alone matched none of them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import Basis, ClientRecordRead, ReadOutcome
from carecoord.projections.audit.fhir import party
from carecoord.services.infrastructure.access_log import LoggedRead
from carecoord.services.infrastructure.audit_events import audit_event
from carecoord.services.kernel.policy import POLICY_VERSION

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
NURSE = Actor(id="nurse-1", role=Role.NURSE)


def test_the_reader_is_identified_as_the_exports_other_users_are() -> None:
    entry = ClientRecordRead(
        event_id=uuid4(), client_id=uuid4(), occurred_at=AT, recorded_at=AT, actor=NURSE,
        correlation_id=uuid4(), operation="clientTimeline", outcome=ReadOutcome.GRANTED,
        basis=Basis.CARE_TEAM, kinds_granted=(Kind.CARE,), kinds_returned=(Kind.CARE,),
        entries_returned=3, policy_version=POLICY_VERSION,
    )  # fmt: skip

    who = audit_event(LoggedRead(7, entry, b"\x01" * 32))["agent"][0]["who"]

    assert who["identifier"] == party(NURSE)["identifier"]
