"""Read models compared with a fresh derivation from the store: a drifted view is named,
by model and client."""

from __future__ import annotations

import asyncio

from carecoord.events import Actor, Role
from carecoord.projections import careteam, timeline
from carecoord.projections.models import READ_MODELS
from carecoord.projections.verify import verify, verify_all
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def test_views_that_follow_the_log_verify_intact(platform: Platform) -> None:
    outcomes = await asyncio.gather(
        *(
            platform.bus.execute(enroll_client(ADMIN, display_name=f"v{i}", program="OTP"))
            for i in range(12)
        )
    )
    assert await platform.progress.reach(timeline.NAME, max(o.position for o in outcomes), 10)

    found = await verify_all(platform.store, platform.pool, READ_MODELS)

    assert [v.name for v in found] == [m.NAME for m in READ_MODELS]
    assert all(v.intact for v in found), [v for v in found if not v.intact]
    assert next(v for v in found if v.name == timeline.NAME).clients == 12


async def test_a_view_row_edited_by_hand_is_named_by_client(platform: Platform) -> None:
    enrolled = [
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"w{i}", program="OTP"))
        for i in range(3)
    ]
    victim = enrolled[1].result
    joined = await platform.bus.execute(
        assign_member(ADMIN, client_id=victim, member_id="nurse-1", role=Role.NURSE)
    )
    assert await platform.progress.reach(careteam.NAME, joined.position, 10)
    async with platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE care_team SET member_id = 'someone-else' WHERE client_id = %s", (victim,)
        )

    found = await verify(platform.store, platform.pool, careteam)

    assert found.differing == (victim,)
    assert not found.intact
