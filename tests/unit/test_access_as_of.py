"""What a user could see of a client at a time, rebuilt from the client's events: standing,
grant and timeline follow what had been recorded by then."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from every_event import NURSE, every_event

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import Basis
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.access_as_of import AccessAsOf
from carecoord.services.kernel.errors import Forbidden

STORY = every_event()
HISTORY = [Positioned(n, e) for n, e in enumerate(STORY.events, start=1)]


def at(type_name: str, after: bool = True) -> datetime:
    """Just after (or just before) the first event of this type was recorded."""
    event = next(e for e in STORY.events if type(e).__name__ == type_name)
    return event.recorded_at + timedelta(minutes=1 if after else -1)


def as_of(when: datetime) -> AccessAsOf:
    return AccessAsOf.rebuilt(STORY.client_id, HISTORY, when)


def test_a_care_team_member_sees_what_the_team_sees_until_they_leave() -> None:
    while_on = as_of(at("CheckInRecorded"))
    grant = while_on.grant(NURSE)
    assert grant.basis is Basis.CARE_TEAM
    assert Kind.DOSING in grant.kinds
    assert [m.member_id for m in while_on.memberships_of(NURSE.id)] == [NURSE.id]
    shown = while_on.timeline(grant, NURSE)
    assert all(item.event.recorded_at <= while_on.at for item in shown)
    assert all(item.event.kind is not Kind.COUNSELING_NOTE for item in shown)

    after = as_of(at("CareTeamMemberEnded"))
    with pytest.raises(Forbidden) as refused:
        after.grant(NURSE)
    assert refused.value.rule == "care-team-or-consent"
    assert after.memberships_of(NURSE.id)[0].ended_at is not None


def test_a_consent_counts_until_it_is_revoked() -> None:
    pcp = Actor(id="pcp-1", role=Role.PRESCRIBER)
    before = as_of(at("ConsentRevoked", after=False)).grant(pcp)
    assert before.basis is Basis.CONSENT
    assert before.kinds == {Kind.MEDICATION, Kind.DOSING, Kind.CHECK_IN}
    after = as_of(at("ConsentRevoked")).grant(pcp)
    assert after.kinds == {Kind.MEDICATION, Kind.DOSING}
    assert len(after.consent_ids) == 1


def test_an_emergency_access_opens_the_record_for_its_window() -> None:
    er = Actor(id="dr-er", role=Role.PRESCRIBER)
    during = as_of(at("BreakGlassUsed")).grant(er)
    assert during.basis is Basis.BREAK_GLASS
    glass: Any = next(e for e in STORY.events if type(e).__name__ == "BreakGlassUsed")
    assert during.break_glass_id == glass.access_id
    with pytest.raises(Forbidden):
        as_of(glass.expires_at + timedelta(seconds=1)).grant(er)
    with pytest.raises(Forbidden):
        as_of(at("BreakGlassUsed", after=False)).grant(er)


def test_a_blind_taper_hides_doses_from_the_client_until_it_is_stopped() -> None:
    client = Actor(id=str(STORY.client_id), role=Role.CLIENT)
    during = as_of(at("TaperOrdered")).grant(client)
    assert Kind.MEDICATION not in during.kinds
    assert Kind.DOSING not in during.kinds
    after = as_of(at("OrderDiscontinued")).grant(client)
    assert Kind.MEDICATION in after.kinds
