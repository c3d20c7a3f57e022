"""A stored event's message published on the care subjects again once the stream's
duplicate window has passed (a replay by another publisher: the id is the event's, the
position and body the store's) reaches the disclosure forwarder a second time. It is
disclosed once: the forwarder keeps the rule it asks of every subscriber and withholds a
position it has already handled, where it sent the event again and recorded a second
disclosure of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import isolated_settings
from forwarding import forwarding, sent_to_head
from nats.aio.msg import Msg
from test_probe_disclosure import RECIPIENT, consenting_to_the_recipient

from carecoord.events import Actor, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
WINDOW = 1.0


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """A duplicate window short enough to outwait."""
    return isolated_settings(data_dir, duplicate_window_seconds=WINDOW)


async def test_a_replayed_message_is_disclosed_and_recorded_once(platform: Platform) -> None:
    await consenting_to_the_recipient(platform)
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    for _ in range(1000):
        if (await js.stream_info(stream)).state.messages >= 2:
            break
        await asyncio.sleep(0.01)
    enrolled = await js.get_msg(stream, seq=1)
    assert enrolled.subject is not None

    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    inbox = await platform.broker.connection.subscribe(
        f"{platform.settings.disclosure_root}.{RECIPIENT}.>", cb=collect
    )
    try:
        async with forwarding(platform, RECIPIENT) as forwarder:
            async with asyncio.timeout(20):
                await forwarder.reached(2)
            await asyncio.sleep(WINDOW + 0.5)
            replay = await js.publish(
                enrolled.subject, enrolled.data or b"", headers=enrolled.headers, stream=stream
            )
            assert not replay.duplicate  # the window has passed: the stream took it again
            await platform.bus.execute(enroll_client(ADMIN, display_name="Jo P.", program="OTP"))
            await sent_to_head(platform, forwarder)
    finally:
        await inbox.unsubscribe()

    assert len(received) == 1
    disclosed = [
        p.event for p in platform.store.read(0, 1000) if isinstance(p.event, DisclosureRecorded)
    ]
    assert len(disclosed) == 1
