"""The relay's start costs the same however many messages another publisher put at the end
of the stream: it walked back from the stream's end one request per message until it found
one of its own, so 20,000 small messages held every start for seconds (a million, minutes),
while no event reached the broker. It still finds what it published past its recorded
position."""

from __future__ import annotations

import asyncio
import time
import uuid

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
FOREIGN = 20_000


async def test_foreign_messages_at_the_stream_end_do_not_slow_the_relays_start(
    platform: Platform,
) -> None:
    for i in range(3):
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
    head = await asyncio.to_thread(platform.store.last_position)
    assert platform.relay is not None
    for _ in range(3000):
        if platform.relay.position >= head:
            break
        await asyncio.sleep(0.01)
    js = platform.broker.connection.jetstream()
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    stream = platform.settings.stream_name
    for _ in range(FOREIGN // 1000):
        await asyncio.gather(*(js.publish(subject, b"{}", stream=stream) for _ in range(1000)))
    assert (await js.stream_info(stream)).state.messages == 3 + FOREIGN
    async with platform.pool.connection() as conn:  # as if killed before recording a page
        await conn.execute("UPDATE follower_positions SET position = 0 WHERE name = 'relay'")

    started = time.monotonic()
    assert await platform.relay.resume_position() == head
    assert time.monotonic() - started < 2.0
