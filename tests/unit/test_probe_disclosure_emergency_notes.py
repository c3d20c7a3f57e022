"""A disclosure under an emergency access names only kinds an emergency opens: SUD counseling
notes go under a counseling-note consent alone (42 CFR 2.31; an emergency access shows no
notes, services/kernel/policy.py). One naming counseling_note under a break-glass id was
recorded, so the accounting showed the client's notes sent to an emergency room on an
authority that never opened them to anyone."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = UUID("0b6f6c1e-4d1a-4b9e-9f0a-3c2d1e0f9a87")
ER = Recipient(type=RecipientType.ORGANIZATION, id="er-county", name="County ER")


def stamp(role: Role, user: str) -> Stamp:
    return Stamp(Actor(id=user, role=role), clock=lambda: NOW)


def in_an_emergency() -> tuple[ConsentRecord, UUID]:
    record = ConsentRecord(CLIENT)
    access_id = uuid4()
    record.break_glass(
        stamp(Role.NURSE, "nurse-er"),
        access_id=access_id,
        reason="unresponsive in the lobby",
        on_care_team=False,
    )
    record.collect_events()
    return record, access_id


def disclose(record: ConsentRecord, access_id: UUID, kinds: tuple[Kind, ...]) -> None:
    record.record_disclosure(
        stamp(Role.PROGRAM_ADMIN, "admin-1"),
        uuid4(),
        recipient=ER,
        purpose="medical emergency",
        data_kinds=kinds,
        description="what the ER asked for",
        break_glass_id=access_id,
    )


def test_counseling_notes_are_not_disclosed_under_an_emergency_access() -> None:
    record, access_id = in_an_emergency()

    with pytest.raises(RuleViolation) as refusal:
        disclose(record, access_id, (Kind.MEDICATION, Kind.COUNSELING_NOTE))

    assert (refusal.value.field, refusal.value.rule) == ("dataKinds", "emergency-covers-kinds")
    assert "counseling_note" in refusal.value.message
    assert not record.pending


def test_what_an_emergency_opens_is_disclosed_under_it() -> None:
    record, access_id = in_an_emergency()

    disclose(record, access_id, (Kind.MEDICATION, Kind.DOSING))

    [recorded] = record.pending
    assert isinstance(recorded.event, DisclosureRecorded)
    assert recorded.event.break_glass_id == access_id
