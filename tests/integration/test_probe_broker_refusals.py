"""What the broker refuses to store: the relay sets aside an event for what it is (larger
than the stream takes) and goes on, and waits out a refusal of the deployment's (a sealed
stream), publishing once it is mended. A sealed stream's refusal was read as the event's
(``BadRequestError``, as a size is): every event recorded while it stood was set aside and
never reached the stream, made again or not."""

from __future__ import annotations

import asyncio
import dataclasses

from nats.js.api import StreamConfig
from test_probe_pipe_forged_ids import parked_for_relay, stream_positions

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
SEALED = "BadRequestError/10109"
"""JetStream's ``JSStreamSealedErr``."""


async def published_up_to_the_store(platform: Platform) -> int:
    """The store's head, once the relay has gone past it."""
    head = await asyncio.to_thread(platform.store.last_position)
    relay = platform.relay
    assert relay is not None
    async with asyncio.timeout(30):
        while relay.position < head:  # noqa: ASYNC110 - the relay's plain state
            await asyncio.sleep(0.01)
    return head


async def test_a_sealed_stream_holds_the_relay_until_the_stream_is_made_anew(
    platform: Platform,
) -> None:
    js = platform.broker.connection.jetstream()
    name = platform.settings.stream_name
    before = await published_up_to_the_store(platform)
    held = (await js.stream_info(name)).config
    await js.update_stream(dataclasses.replace(held, sealed=True))

    await platform.bus.execute(enroll_client(ADMIN, display_name="Alex R.", program="OTP"))
    relay = platform.liveness.loop("relay")
    async with asyncio.timeout(30):
        while relay.last_error is None:  # noqa: ASYNC110 - the loop's plain state
            await asyncio.sleep(0.01)
    assert relay.last_error == SEALED
    assert await parked_for_relay(platform) == []

    await js.delete_stream(name)  # the operator's mend: the relay declares it again
    head = await published_up_to_the_store(platform)
    assert await stream_positions(platform, head - before) == list(range(before + 1, head + 1))
    assert await parked_for_relay(platform) == []


async def set_aside_as_too_large(platform: Platform) -> tuple[StreamConfig, int]:
    """An enrolment recorded and relayed while the stream takes messages of one byte at most,
    so the relay sets aside every event up to it: the stream's own settings, to put back, and
    the store's head."""
    js = platform.broker.connection.jetstream()
    held = (await js.stream_info(platform.settings.stream_name)).config
    await js.update_stream(dataclasses.replace(held, max_msg_size=1))
    await platform.bus.execute(enroll_client(ADMIN, display_name="Alex R.", program="OTP"))
    return held, await published_up_to_the_store(platform)


async def test_an_event_larger_than_the_stream_takes_is_set_aside_and_the_rest_go_on(
    platform: Platform,
) -> None:
    _, head = await set_aside_as_too_large(platform)

    assert await parked_for_relay(platform) == [
        (position, "BadRequestError/10054") for position in range(1, head + 1)
    ]
