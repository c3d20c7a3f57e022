"""A care stream that a deployment gave a limit with discard ``new`` refuses the relay's
publish once full: the relay holds its place, says why with JetStream's code (it said
``ServiceUnavailableError``, as for a broker that is down), and, the limit raised,
publishes what waited, each event once and in order. Commands record meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses

from nats.js.api import DiscardPolicy

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.doorbell import read_page
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
STORE_FAILED = "ServiceUnavailableError/10077"
"""JetStream's ``JSStreamStoreFailedF``: the stream's store refused the message."""


async def test_a_full_stream_holds_the_relay_with_its_code_and_loses_nothing_once_raised(
    platform: Platform,
) -> None:
    js = platform.broker.connection.jetstream()
    name = platform.settings.stream_name
    held = (await js.stream_info(name)).config
    await js.update_stream(dataclasses.replace(held, max_msgs=1, discard=DiscardPolicy.NEW))

    recorded = [
        (await platform.bus.execute(enroll_client(ADMIN, display_name=f"Alex {n}", program="OTP")))
        for n in range(3)
    ]
    relay = platform.liveness.loop("relay")
    async with asyncio.timeout(30):
        while relay.last_error is None:  # noqa: ASYNC110 - the loop's state is plain state
            await asyncio.sleep(0.01)
    assert relay.last_error == STORE_FAILED
    assert (await js.stream_info(name)).state.messages == 1

    await js.update_stream(dataclasses.replace(held, max_msgs=-1))
    head = await asyncio.to_thread(platform.store.last_position)
    assert platform.relay is not None
    async with asyncio.timeout(30):
        while platform.relay.position < head:  # noqa: ASYNC110 - the relay's plain state
            await asyncio.sleep(0.01)
    state = (await js.stream_info(name)).state
    published = [await js.get_msg(name, seq) for seq in range(1, state.last_seq + 1)]
    positions = [int((m.headers or {})["Carecoord-Position"]) for m in published]
    stored = await asyncio.to_thread(read_page, platform.store, 0, 100)
    assert positions == [item.position for item in stored.events]
    assert {outcome.position for outcome in recorded} <= set(positions)
