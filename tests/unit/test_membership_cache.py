"""The write gate's memory of care-team memberships: kept only while the view is unchanged
and the membership has not reached its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from carecoord.events import Actor, Role
from carecoord.projections.progress import Progress
from carecoord.services.membership import Memberships

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
    progress = Progress("postgresql://unused", ["care_team", "timeline"])
    start = progress.version("care_team")

    progress.advance("care_team", 10)
    progress.advance("timeline/changed", 11)
    assert progress.version("care_team") == start

    progress.advance("care_team/changed", 12)
    assert progress.version("care_team") == start + 1
    assert progress.position("care_team") == 10
