"""An access-log entry of a read that was refused, or that returned nothing, exported as a FHIR
AuditEvent: its kinds granted or returned were written as an empty valueString, which FHIR
R4 does not allow (a string holds at least one character; an absent value is left out), so
every accessLogAuditEvents page and every FHIR record export holding such a read failed an
R4 validator, the auditor's own included."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from fhir.resources.R4B.auditevent import AuditEvent

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import Basis, ClientRecordRead, ReadOutcome
from carecoord.services.infrastructure.access_log import LoggedRead
from carecoord.services.infrastructure.audit_events import audit_event
from carecoord.services.kernel.policy import POLICY_VERSION

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def read(outcome: ReadOutcome, basis: Basis, granted: tuple[Kind, ...]) -> LoggedRead:
    entry = ClientRecordRead(
        event_id=uuid4(), client_id=uuid4(), occurred_at=AT, recorded_at=AT,
        actor=Actor(id="nurse-1", role=Role.NURSE), correlation_id=uuid4(),
        operation="clientTimeline", outcome=outcome, basis=basis, kinds_granted=granted,
        kinds_returned=(), entries_returned=0, policy_version=POLICY_VERSION,
        refusal="care-team-or-consent" if outcome is ReadOutcome.REFUSED else "",
    )  # fmt: skip
    return LoggedRead(3, entry, b"\x02" * 32)


@pytest.mark.parametrize(
    "logged",
    [
        read(ReadOutcome.REFUSED, Basis.NONE, ()),
        read(ReadOutcome.GRANTED, Basis.CARE_TEAM, (Kind.CARE, Kind.DOSING)),
    ],
    ids=["refused", "nothing returned"],
)
def test_a_read_with_no_kinds_is_a_valid_r4_audit_event(logged: LoggedRead) -> None:
    resource = audit_event(logged)

    AuditEvent.model_validate(resource)  # raises on an empty string
    details = {d["type"]: d["valueString"] for d in resource["entity"][0]["detail"]}
    assert "kindsReturned" not in details
    assert details["entriesReturned"] == "0"
    assert ("kindsGranted" in details) is bool(logged.entry.kinds_granted)
