"""The care team and consent records: what they accept, what they refuse and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import BreakGlassUsed, DisclosureRecorded
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.events.consent import ConsentRevoked, Recipient, RecipientType
from carecoord.services.careteam.team import CareTeam
from carecoord.services.consent.notice import REDISCLOSURE_NOTICE
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import DomainError, Forbidden, InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = UUID("0b3c7a52-4f0e-4c51-9d1a-6d3a0f6b8e11")


def stamp(role: Role, user: str | None = None) -> Stamp:
    return Stamp(Actor(id=user or f"{role.value}-1", role=role), clock=lambda: NOW)


ADMIN = stamp(Role.PROGRAM_ADMIN)
PCP = Recipient(type=RecipientType.MEMBER, id="dr-pcp", name="Dr. Primary")
GUEST_SITE = Recipient(type=RecipientType.ORGANIZATION, id="otp-north", name="OTP North")


def test_a_member_joins_once_and_leaves_with_a_reason() -> None:
    team = CareTeam(CLIENT)
    team.assign(ADMIN, member_id="nurse-kim", role=Role.NURSE, occurred_at=None)

    with pytest.raises(RuleViolation) as twice:
        team.assign(ADMIN, member_id="nurse-kim", role=Role.THERAPIST, occurred_at=None)
    team.end(ADMIN, member_id="nurse-kim", reason="rotated off", occurred_at=None)
    with pytest.raises(DomainError) as gone:
        team.end(ADMIN, member_id="nurse-kim", reason="again", occurred_at=None)

    assert twice.value.rule == "one-membership"
    assert gone.value.rule == "current-member"
    events = [r.event for r in team.pending]
    assert [type(e) for e in events] == [CareTeamMemberAssigned, CareTeamMemberEnded]
    ended = events[1]
    assert isinstance(ended, CareTeamMemberEnded)
    assert ended.role is Role.NURSE


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PROGRAM_ADMIN, Role.CLIENT, Role.SYSTEM])
def test_only_clinical_roles_join_a_care_team(role: Role) -> None:
    with pytest.raises(InvalidInput) as refused:
        CareTeam(CLIENT).assign(ADMIN, member_id="someone", role=role, occurred_at=None)
    assert refused.value.rule == "care-team-role"


def consented(kinds: tuple[Kind, ...], *, expires_at: datetime | None = None) -> ConsentRecord:
    record = ConsentRecord(CLIENT)
    record.record_consent(
        ADMIN,
        consent_id=uuid4(),
        recipients=(PCP, GUEST_SITE),
        purpose="treatment",
        data_kinds=kinds,
        expires_at=expires_at,
        expiry_event="" if expires_at else "end of treatment",
        signed_on=date(2026, 2, 1),
        signed_by="Alex R.",
        enrolled_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    return record


def only_consent(record: ConsentRecord) -> UUID:
    (consent_id,) = record.consents
    return consent_id


def test_a_consent_is_revoked_once_and_only_by_its_client_among_clients() -> None:
    record = consented((Kind.MEDICATION,))
    consent_id = only_consent(record)

    with pytest.raises(Forbidden):
        record.revoke(stamp(Role.CLIENT, str(uuid4())), consent_id=consent_id, reason="")
    record.revoke(stamp(Role.CLIENT, str(CLIENT)), consent_id=consent_id, reason="in writing")
    with pytest.raises(RuleViolation) as again:
        record.revoke(ADMIN, consent_id=consent_id, reason="")

    assert again.value.rule == "revoke-once"
    assert isinstance(record.pending[-1].event, ConsentRevoked)


def test_a_consent_that_expired_already_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        consented((Kind.CARE,), expires_at=NOW - timedelta(days=1))
    assert refused.value.rule == "future-expiry"


def test_a_disclosure_needs_a_consent_in_force_that_names_the_recipient_and_the_kinds() -> None:
    record = consented((Kind.MEDICATION, Kind.DOSING), expires_at=NOW + timedelta(days=30))
    consent_id = only_consent(record)

    def disclose(recipient: Recipient, kinds: tuple[Kind, ...]) -> None:
        record.record_disclosure(
            stamp(Role.NURSE),
            disclosure_id=uuid4(),
            recipient=recipient,
            data_kinds=kinds,
            description="current methadone dose and last three doses",
            consent_id=consent_id,
            break_glass_id=None,
        )

    disclose(GUEST_SITE, (Kind.DOSING,))
    stranger = Recipient(type=RecipientType.ORGANIZATION, id="insurer")
    with pytest.raises(RuleViolation) as unnamed:
        disclose(stranger, (Kind.DOSING,))
    with pytest.raises(RuleViolation) as uncovered:
        disclose(GUEST_SITE, (Kind.THERAPY,))
    record.revoke(ADMIN, consent_id=consent_id, reason="client asked")
    with pytest.raises(RuleViolation) as revoked:
        disclose(GUEST_SITE, (Kind.DOSING,))

    assert unnamed.value.rule == "consent-names-recipient"
    assert uncovered.value.rule == "consent-covers-kinds"
    assert revoked.value.rule == "consent-in-force"
    disclosed = record.pending[1].event
    assert isinstance(disclosed, DisclosureRecorded)
    assert disclosed.notice == REDISCLOSURE_NOTICE
    assert disclosed.summary() == "Disclosed to OTP North for treatment"


def test_break_glass_needs_a_clinician_off_the_team_and_opens_a_window() -> None:
    record = ConsentRecord(CLIENT)
    reason = "found unresponsive, need the medication list"
    with pytest.raises(RuleViolation):
        record.break_glass(stamp(Role.NURSE), access_id=uuid4(), reason=reason, on_care_team=True)
    with pytest.raises(Forbidden):
        record.break_glass(
            stamp(Role.PEER_SUPPORTER), access_id=uuid4(), reason=reason, on_care_team=False
        )
    record.break_glass(stamp(Role.NURSE), access_id=uuid4(), reason=reason, on_care_team=False)

    used = record.pending[-1].event
    assert isinstance(used, BreakGlassUsed)
    assert used.expires_at == NOW + timedelta(hours=1)
    assert reason not in used.summary()
