"""The projector: a redelivered or replayed batch changes nothing; position and rows move
together."""

from __future__ import annotations

import asyncio
from typing import Any

from carecoord.events import Actor, Role
from carecoord.projections import timeline
from carecoord.projections.projector import Projector
from carecoord.services import positions
from carecoord.services.bootstrap import Platform
from carecoord.services.care.commands import enroll_client
from carecoord.services.relay import POSITION_HEADER, TYPE_HEADER
from carecoord.services.stamp import Stamp

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def timeline_state(platform: Platform) -> tuple[int, list[Any]]:
    async with platform.pool.connection() as conn:
        position = await positions.read(conn, timeline.NAME)
        cur = await conn.execute("SELECT position, event_id, summary FROM timeline ORDER BY 1")
        return position, await cur.fetchall()


async def enroll_many(platform: Platform, count: int) -> int:
    outcomes = await asyncio.gather(
        *(
            platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
            for i in range(count)
        )
    )
    last = max(o.position for o in outcomes)
    assert await platform.progress.reach(timeline.NAME, last, 10)
    return last


async def test_replaying_a_batch_changes_nothing(platform: Platform) -> None:
    await enroll_many(platform, 20)
    before = await timeline_state(platform)
    batch = await asyncio.to_thread(platform.store.read, 0, 100)

    projector = Projector(platform.pool, [timeline])
    moved = await projector.handle(batch)
    again = await projector.handle(batch[5:12])

    assert moved == again == {}
    assert before[0] == 20
    assert await timeline_state(platform) == before


async def test_a_redelivered_message_on_the_broker_changes_nothing(platform: Platform) -> None:
    last = await enroll_many(platform, 5)
    before = await timeline_state(platform)
    first = (await asyncio.to_thread(platform.store.read, 0, 1))[0]
    settings = platform.settings

    # Publish the first event again under a new message id, as a redelivery after a crash
    # would present it, then one genuinely new event behind it.
    await platform.broker.publish(
        first.event.model_dump_json().encode(),
        f"{settings.subject_root}.care.ClientEnrolled.{first.event.client_id}",
        headers={POSITION_HEADER: str(first.position), TYPE_HEADER: "care.ClientEnrolled"},
        stream=settings.stream_name,
    )
    newest = await enroll_many(platform, 1)

    position, rows = await timeline_state(platform)
    assert newest == last + 1 == position
    assert rows[:-1] == before[1]
    assert len(rows) == len(before[1]) + 1
