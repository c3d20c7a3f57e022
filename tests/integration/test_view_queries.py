"""The read models' own queries, called as the API calls them: the reader's grant as a typed
filter, pages in clinical order with a keyset cursor, typed rows from the views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import Basis
from carecoord.projections import careteam, checkins, timeline
from carecoord.projections.rows import Shown
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.kernel.policy import Grant
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
PEER = Stamp(Actor(id="peer-1", role=Role.PEER_SUPPORTER))
DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


async def a_client_with_check_ins(platform: Platform) -> tuple[UUID, int]:
    """A client enrolled, then checked in with by the nurse (day 1, day 3) and the peer
    supporter (day 2); the position of the last event."""
    enrolled = await platform.bus.execute(
        enroll_client(ADMIN, display_name="Ana", program="OTP", occurred_at=DAY)
    )
    client_id = enrolled.result
    last = 0
    for stamp, day, craving in ((NURSE, 1, 4), (PEER, 2, 2), (NURSE, 3, 1)):
        done = await platform.bus.execute(
            record_check_in(
                stamp,
                client_id=client_id,
                check_in=CheckIn(craving=craving),
                occurred_at=DAY + timedelta(days=day),
                rules=platform.alert_rules,
            )
        )
        last = done.position
    for name in (timeline.NAME, checkins.NAME):
        assert await platform.progress.reach(name, last, 10)
    return client_id, last


async def test_a_page_keeps_what_the_grant_shows_in_clinical_order(platform: Platform) -> None:
    client_id, _ = await a_client_with_check_ins(platform)
    pool = platform.pool

    # Care in full; check-ins only where the nurse recorded them.
    shown = Shown(frozenset({Kind.CARE}), frozenset({Kind.CHECK_IN}), "nurse-1")
    rows = await timeline.page(pool, client_id, shown, limit=10)
    assert [(r["kind"], r["actor_id"]) for r in rows] == [
        ("care", "admin-1"),
        ("check_in", "nurse-1"),
        ("check_in", "nurse-1"),
    ]
    assert [r["occurred_at"] for r in rows] == sorted(r["occurred_at"] for r in rows)
    assert isinstance(rows[0]["facts"], str)

    everything = Shown(frozenset(Kind), frozenset(), "auditor-1")
    first = await timeline.page(pool, client_id, everything, limit=2)
    rest = await timeline.page(
        pool,
        client_id,
        everything,
        limit=10,
        after=(first[-1]["occurred_at"], first[-1]["position"]),
    )
    whole = await timeline.page(pool, client_id, everything, limit=10)
    assert [r["position"] for r in first + rest] == [r["position"] for r in whole]
    assert len(whole) == 4

    only_check_ins = await timeline.page(
        pool,
        client_id,
        everything,
        limit=10,
        kinds=[Kind.CHECK_IN],
        occurred_from=DAY + timedelta(days=2),
    )
    assert [r["actor_id"] for r in only_check_ins] == ["peer-1", "nurse-1"]


async def test_a_grant_from_the_policy_filters_the_series_as_it_does_the_timeline(
    platform: Platform,
) -> None:
    client_id, _ = await a_client_with_check_ins(platform)
    grant = Grant(Basis.CARE_TEAM, frozenset({Kind.CARE}), frozenset({Kind.CHECK_IN}))

    points = await checkins.client_series(
        platform.pool, client_id, Shown.of(grant, "peer-1"), ["craving", "mood"]
    )

    assert [(p["measure"], p["value"], p["actor_id"]) for p in points] == [
        ("craving", Decimal(2), "peer-1")
    ]


async def test_a_client_rows_come_in_the_views_order(platform: Platform) -> None:
    client_id, _ = await a_client_with_check_ins(platform)
    last = 0
    for member, role in (("nurse-1", Role.NURSE), ("peer-1", Role.PEER_SUPPORTER)):
        done = await platform.bus.execute(
            assign_member(ADMIN, client_id=client_id, member_id=member, role=role)
        )
        last = done.position
    assert await platform.progress.reach(careteam.NAME, last, 10)

    team = await careteam.of_client(platform.pool, client_id)

    assert [(m["member_id"], m["role"], m["ended_at"]) for m in team] == [
        ("nurse-1", "nurse", None),
        ("peer-1", "peer_supporter", None),
    ]
