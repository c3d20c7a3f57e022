"""What the access checks remember: care-team memberships (writes) and read grants, kept
only while the access views are unchanged and until the membership or grant ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import Basis
from carecoord.projections.progress import Progress
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.remembered import Grants, Memberships
from carecoord.services.kernel.policy import Grant, Standing, decide

NURSE = Actor(id="nurse-1", role=Role.NURSE)


def test_a_confirmed_membership_holds_until_the_view_changes() -> None:
    kept, client = Memberships(), uuid4()
    kept.keep(NURSE, {client: None}, version=3)

    assert kept.confirmed(NURSE, frozenset({client}), version=3)
    assert not kept.confirmed(NURSE, frozenset({client}), version=4)


def test_only_the_same_person_in_the_same_role_and_every_client_counts() -> None:
    kept, client, other = Memberships(), uuid4(), uuid4()
    kept.keep(NURSE, {client: None}, version=1)

    assert not kept.confirmed(Actor(id="nurse-1", role=Role.PRESCRIBER), frozenset({client}), 1)
    assert not kept.confirmed(Actor(id="nurse-2", role=Role.NURSE), frozenset({client}), 1)
    assert not kept.confirmed(NURSE, frozenset({client, other}), 1)


def test_a_membership_ended_in_advance_stops_counting_at_its_end() -> None:
    kept, ending, ended = Memberships(), uuid4(), uuid4()
    now = datetime.now(UTC)
    kept.keep(NURSE, {ending: now + timedelta(hours=1), ended: now - timedelta(seconds=1)}, 7)

    assert kept.confirmed(NURSE, frozenset({ending}), 7)
    assert not kept.confirmed(NURSE, frozenset({ended}), 7)


def test_the_care_team_version_moves_on_announced_changes_only() -> None:
    progress = Progress("postgresql://unused", ["care_team", "timeline"], Liveness())
    start = progress.version("care_team")

    progress.advance("care_team", 10)
    progress.advance("timeline/changed", 11)
    assert progress.version("care_team") == start

    progress.advance("care_team/changed", 12)
    assert progress.version("care_team") == start + 1
    assert progress.position("care_team") == 10


def test_a_read_grant_holds_until_an_access_view_changes_or_it_ends() -> None:
    kept, client = Grants(), uuid4()
    soon = datetime.now(UTC) + timedelta(hours=1)
    lasting = Grant(Basis.CARE_TEAM, frozenset({Kind.DOSING}), valid_until=soon)
    ended = Grant(Basis.CONSENT, frozenset({Kind.CHECK_IN}), valid_until=datetime.now(UTC))
    kept.keep(NURSE, client, (1, 1, 1, 1), lasting)

    assert kept.get(NURSE, client, (1, 1, 1, 1)) is lasting
    assert kept.get(NURSE, client, (1, 2, 1, 1)) is None
    assert kept.get(Actor(id="nurse-2", role=Role.NURSE), client, (1, 1, 1, 1)) is None
    kept.keep(NURSE, client, (1, 1, 1, 1), ended)
    assert kept.get(NURSE, client, (1, 1, 1, 1)) is None


def test_a_care_team_grant_ends_when_the_membership_is_recorded_to_end() -> None:
    ends = datetime.now(UTC) + timedelta(days=2)
    grant = decide(Role.NURSE, Standing(on_care_team=True, team_ends_at=ends))

    assert grant.basis is Basis.CARE_TEAM
    assert grant.valid_until == ends
