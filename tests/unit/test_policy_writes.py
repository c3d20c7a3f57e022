"""The write policy: every recording action x role x relationship to the client.

A write needs the role (``MAY_RECORD``) and a relationship: clinicians and peer supporters
on the client's care team now, the client themself, program admins and the system
program-wide; enrolling and breaking the glass need none. Break-glass opens reads only.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from carecoord.events import Actor, Role
from carecoord.events.careteam import CareTeamMemberAssigned
from carecoord.services.kernel.access import (
    MAY_RECORD,
    SITE_ACTIONS,
    USER_ACTIONS,
    Action,
    Relationship,
    admit,
    authorize,
    relationship_needed,
)
from carecoord.services.kernel.errors import Forbidden
from carecoord.services.kernel.stamp import Stamp

CLIENT = uuid4()
OTHER = uuid4()
TEAM_ROLES = (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.PEER_SUPPORTER)
CLIENT_ACTIONS = sorted(set(MAY_RECORD) - SITE_ACTIONS - USER_ACTIONS)


def actor(role: Role, user: str | None = None) -> Actor:
    return Actor(id=user or f"{role.value}-1", role=role)


def admitted(who: Actor, action: Action, on_team: set[UUID]) -> bool:
    try:
        authorize(who, action)
        admit(who, action, [CLIENT], on_team)
    except Forbidden:
        return False
    return True


@pytest.mark.parametrize("action", CLIENT_ACTIONS)
@pytest.mark.parametrize("role", TEAM_ROLES)
def test_a_team_role_records_only_for_clients_whose_team_it_is_on(
    role: Role, action: Action
) -> None:
    may = role in MAY_RECORD[action]
    no_relationship = action in {Action.ENROLL_CLIENT, Action.BREAK_GLASS}
    assert admitted(actor(role), action, {CLIENT}) is may
    assert admitted(actor(role), action, {OTHER}) is (may and no_relationship)


@pytest.mark.parametrize("action", CLIENT_ACTIONS)
def test_program_admins_and_the_system_need_no_care_team(action: Action) -> None:
    for role in (Role.PROGRAM_ADMIN, Role.SYSTEM):
        assert admitted(actor(role), action, set()) is (role in MAY_RECORD[action])


@pytest.mark.parametrize("action", sorted(MAY_RECORD))
def test_auditors_record_nothing_for_anyone(action: Action) -> None:
    assert not admitted(actor(Role.AUDITOR), action, {CLIENT})


def test_a_client_records_only_about_themself() -> None:
    me = actor(Role.CLIENT, str(CLIENT))
    assert relationship_needed(me, Action.RECORD_CHECK_IN) is Relationship.SELF
    assert admitted(me, Action.RECORD_CHECK_IN, set())
    assert admitted(me, Action.REVOKE_CONSENT, set())
    with pytest.raises(Forbidden) as refused:
        admit(actor(Role.CLIENT, str(OTHER)), Action.RECORD_CHECK_IN, [CLIENT], set())
    assert (refused.value.field, refused.value.rule) == ("clientId", "own-record-only")
    assert not admitted(me, Action.ADMINISTER_DOSE, set())


def test_every_named_client_needs_the_relationship() -> None:
    therapist = actor(Role.THERAPIST)
    admit(therapist, Action.SCHEDULE_SESSION, [CLIENT, OTHER], {CLIENT, OTHER})
    with pytest.raises(Forbidden) as refused:
        admit(therapist, Action.SCHEDULE_SESSION, [CLIENT, OTHER], {CLIENT})
    assert refused.value.rule == "care-team-member"
    assert str(OTHER) in refused.value.message
    assert "ask a program admin" in refused.value.message


def test_a_stamp_signs_events_only_about_the_clients_it_was_admitted_for() -> None:
    stamp = Stamp(actor(Role.NURSE), clients=frozenset({CLIENT}))
    facts = {"member_id": "nurse-2", "role": Role.NURSE}
    assert stamp.event(CareTeamMemberAssigned, CLIENT, None, **facts).client_id == CLIENT
    with pytest.raises(Forbidden) as refused:
        stamp.event(CareTeamMemberAssigned, OTHER, None, **facts)
    assert (refused.value.field, refused.value.rule) == ("clientId", "admitted-client")


@pytest.mark.parametrize("action", sorted(SITE_ACTIONS))
def test_a_site_action_is_its_keepers_and_names_no_client(action: Action) -> None:
    keepers = {Role.NURSE, Role.PRESCRIBER, Role.PROGRAM_ADMIN}
    if action in {Action.RESOLVE_STOCK_DISCREPANCY, Action.ENTER_STOCK_ENTRY_IN_ERROR}:
        keepers = {Role.PRESCRIBER, Role.PROGRAM_ADMIN}
    if action in {Action.REGISTER_DISPENSING_SITE, Action.RETIRE_DISPENSING_SITE}:
        keepers = {Role.PROGRAM_ADMIN}
    assert MAY_RECORD[action] == keepers
    for role in Role:
        assert not admitted(actor(role), action, {CLIENT}), "a site's stock is no client's record"
    with pytest.raises(Forbidden) as refused:
        admit(actor(Role.NURSE), action, [], set())
    assert refused.value.rule == "site-action"


def test_a_refusal_names_the_action_in_words_not_a_python_name() -> None:
    """A peer supporter who tries to hold an order is told 'hold order needs one of:
    prescriber'; it said 'hold_order', a name inside the code."""
    peer = Actor(id="peer-1", role=Role.PEER_SUPPORTER)
    with pytest.raises(Forbidden) as refused:
        authorize(peer, Action.HOLD_ORDER)
    assert str(refused.value) == "hold order needs one of: prescriber"


@pytest.mark.parametrize("action", sorted(USER_ACTIONS))
def test_a_user_action_is_program_admins_and_names_no_client(action: Action) -> None:
    assert MAY_RECORD[action] == {Role.PROGRAM_ADMIN}
    for role in Role:
        assert not admitted(actor(role), action, {CLIENT}), "a user's access is no client's record"
    with pytest.raises(Forbidden) as refused:
        admit(actor(Role.PROGRAM_ADMIN), action, [CLIENT], set())
    assert (refused.value.field, refused.value.rule) == ("clientId", "user-action")
