"""The care stream removed under a running relay (by an operator, or as its broker's store
was lost): the relay declares it again, as a start does, and publishes what is recorded
next. Every publish failed (NoStreamResponseError) until the process was restarted, and
/health answered 503 for a supervisor that a compose file does not run."""

from __future__ import annotations

import asyncio

from nats.js.errors import NotFoundError

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def test_a_stream_removed_under_the_relay_is_declared_again_and_published_to(
    platform: Platform,
) -> None:
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    await platform.bus.execute(enroll_client(ADMIN, display_name="Alex R.", program="OTP"))
    relay = platform.relay
    assert relay is not None
    head = await asyncio.to_thread(platform.store.last_position)
    async with asyncio.timeout(30):
        while relay.position < head:  # noqa: ASYNC110 - the relay's position is plain state
            await asyncio.sleep(0.01)
    await js.delete_stream(stream)

    later = await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))

    async with asyncio.timeout(30):
        while True:
            try:
                if (await js.stream_info(stream)).state.messages:
                    break
            except NotFoundError:
                pass
            await asyncio.sleep(0.05)
    held = await js.get_msg(stream, 1)
    assert held.headers is not None
    assert held.headers["Carecoord-Position"] == str(later.position)
