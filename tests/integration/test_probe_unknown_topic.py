"""A stored event whose type the catalog does not hold (recorded by a later version, read
after a rollback) is set aside by every follower, as one that no longer decodes is; the
events after it still reach the stream and the views. (It stopped the relay and every read
model, retrying for ever.)"""

from __future__ import annotations

import asyncio

from undecodable import LATER_TYPE, record_a_later_versions_event

from carecoord.events import Actor, Role
from carecoord.projections.models import READ_MODELS
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import positions
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
FOLLOWERS = sorted(["relay", *(model.NAME for model in READ_MODELS)])


async def test_every_follower_sets_an_unknown_type_aside_and_goes_on(platform: Platform) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    unknown = await asyncio.to_thread(record_a_later_versions_event, platform)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Jo P.", program="OTP"))
    head = await asyncio.to_thread(platform.store.last_position)
    assert head > unknown

    async with platform.pool.connection() as conn:
        for _ in range(1000):
            reached = await positions.read_many(conn, FOLLOWERS)
            if len(reached) == len(FOLLOWERS) and min(reached.values()) >= head:
                break
            await asyncio.sleep(0.02)
        cur = await conn.execute(
            "SELECT follower, event_type, error FROM parked_events WHERE position = %s"
            " ORDER BY follower",
            (unknown,),
        )
        parked = await cur.fetchall()
    assert reached == dict.fromkeys(FOLLOWERS, head)
    assert parked == [(name, LATER_TYPE, "UnknownEventType") for name in FOLLOWERS]
