"""A rebuild, and the verification auditors run, leave out the stored entries the live
followers set aside (they do not decode) and park them as the live projector does: one such
entry stopped the rebuild of every client's record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import pytest
from undecodable import record_a_later_versions_event, store_a_copy_that_fails_its_checks

from carecoord.events import Actor, Role
from carecoord.events.careteam import CareTeamMemberAssigned
from carecoord.events.positioned import Positioned
from carecoord.projections import careteam, timeline
from carecoord.projections import rebuild as rebuilding
from carecoord.projections.models import READ_MODELS
from carecoord.projections.rebuild import Target, create_generations, fill_in, rebuild_all
from carecoord.projections.verify import verify_all
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def stored_with_two_bad_entries(platform: Platform) -> tuple[list[int], int]:
    """Three enrolments around an entry of an unknown type and one that fails its checks;
    the bad entries' positions and the head, every read model caught up with it."""
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    bad = [
        await asyncio.to_thread(record_a_later_versions_event, platform),
        await asyncio.to_thread(store_a_copy_that_fails_its_checks, platform),
    ]
    for name in ("Jo P.", "Ali M."):
        last = await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    for model in READ_MODELS:
        assert await platform.progress.reach(model.NAME, last.position, 10)
    return bad, last.position


async def test_every_model_rebuilt_and_verified_without_them(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    bad, head = await stored_with_two_bad_entries(platform)

    with caplog.at_level(logging.ERROR, "carecoord.parked"):
        done = await rebuild_all(platform.store, platform.pool, READ_MODELS)
    verified = await verify_all(platform.store, platform.pool, READ_MODELS)

    assert {one.set_aside for one in done} == {2}
    assert [v.name for v in verified if not v.intact] == []
    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT position FROM timeline ORDER BY position")
        shown = [row[0] for row in await cur.fetchall()]
        cur = await conn.execute(
            "SELECT DISTINCT follower FROM parked_events WHERE position = ANY(%s)", (bad,)
        )
        parked = {row[0] for row in await cur.fetchall()}
    assert len(shown) == 3
    assert not set(bad) & set(shown)
    assert shown[-1] == head
    assert {model.NAME for model in READ_MODELS} <= parked
    # A line per model names both entries by their positions (the live projector and the
    # relay log their own as they meet them).
    both = {
        getattr(r, "follower", "")
        for r in caplog.records
        if getattr(r, "code", None) == "EVENT_PARKED"
        and (getattr(r, "count", 0), getattr(r, "first_position", 0)) == (2, bad[0])
    }
    assert {model.NAME for model in READ_MODELS} <= both


async def test_catching_up_goes_past_a_page_of_entries_it_sets_aside(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, head = await stored_with_two_bad_entries(platform)
    monkeypatch.setattr(rebuilding, "PAGE", 1)  # a page each: two of them hold nothing else
    target = Target(timeline, 90)
    await create_generations(platform.pool, [target])

    async with platform.pool.connection() as conn, conn.transaction():
        took, set_aside = await fill_in(conn, platform.store, [target], 0, {timeline.NAME: head})
        cur = await conn.execute("SELECT max(position) FROM timeline_g90")
        reached = await cur.fetchone()

    assert took == {timeline.NAME: 3}
    assert [entry.position for entry in set_aside] == bad
    assert reached == (head,)


async def test_a_rebuild_that_applies_what_was_set_aside_takes_it_off_the_list(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event the live care-team view could not hold is set aside; once the cause is
    mended a rebuild applies it, and the list (and /health) no longer holds it. It did:
    the model stayed parked, and the process degraded, for good. What the rebuild sets
    aside itself (entries that still do not decode) stays listed."""
    mended = careteam.apply

    async def cannot_hold(conn: Any, generation: int, batch: Sequence[Positioned]) -> None:
        if any(isinstance(item.event, CareTeamMemberAssigned) for item in batch):
            raise ValueError("a view that cannot hold it")
        await mended(conn, generation, batch)

    monkeypatch.setattr(careteam, "apply", cannot_hold)
    enrolled = await platform.bus.execute(
        enroll_client(ADMIN, display_name="Sam K.", program="OTP")
    )
    assigned = await platform.bus.execute(
        assign_member(ADMIN, client_id=enrolled.result, member_id="nurse-1", role=Role.NURSE)
    )
    unreadable = await asyncio.to_thread(record_a_later_versions_event, platform)
    last = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo P.", program="OTP"))
    assert await platform.progress.reach(careteam.NAME, last.position, 10)
    before = await parked_on(platform, careteam.NAME)
    monkeypatch.setattr(careteam, "apply", mended)

    await rebuild_all(platform.store, platform.pool, [careteam])

    assert before == [assigned.position, unreadable]
    assert await parked_on(platform, careteam.NAME) == [unreadable]
    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT member_id FROM care_team")
        assert await cur.fetchall() == [("nurse-1",)]


async def parked_on(platform: Platform, follower: str) -> list[int]:
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT position FROM parked_events WHERE follower = %s ORDER BY 1", (follower,)
        )
        return [int(position) for (position,) in await cur.fetchall()]
