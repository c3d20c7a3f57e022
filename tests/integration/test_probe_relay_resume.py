"""The relay resumes from what it published itself, whatever else reached the care subjects:
a message of another publisher must neither stop it nor move it past unpublished events."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def relayed(platform: Platform, count: int) -> None:
    """Poll the stream until it holds ``count`` messages (or 30 s pass)."""
    js = platform.broker.connection.jetstream()
    for _ in range(3000):
        if (await js.stream_info(platform.settings.stream_name)).state.messages >= count:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"the relay did not publish {count} events")


FOREIGN = [
    {"Carecoord-Position": "not a number"},  # stopped the relay at every start
    {"Carecoord-Position": "1000000"},  # moved it past everything not yet published
    {"Carecoord-Position": "1", "Nats-Msg-Id": str(uuid.uuid4())},  # not the event there
    {},
    {"Status": "404", "Description": "No Messages"},  # a pull takes it for the server's own
]


@pytest.mark.parametrize("last", FOREIGN)
async def test_foreign_messages_at_the_stream_end_are_walked_past(
    platform: Platform, last: dict[str, str]
) -> None:
    for i in range(3):
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
    head = await asyncio.to_thread(platform.store.last_position)
    await relayed(platform, 3)
    assert platform.relay is not None
    js = platform.broker.connection.jetstream()
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for sent in [*FOREIGN, last]:
        await js.publish(subject, b"{", headers=sent, stream=platform.settings.stream_name)

    assert await platform.relay.resume_position() == head
