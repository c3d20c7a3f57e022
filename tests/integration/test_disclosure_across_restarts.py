"""The disclosure forwarder stopped, the care stream replayed to it from the start (its
consumer made anew, and a stored event's message published again past the duplicate
window), and the forwarder started again: what it disclosed in its first run is neither
sent again nor recorded again, and what it had not disclosed yet still goes. What went to
a recipient is read from the store, not from the memory of one run."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from conftest import isolated_settings
from nats.aio.msg import Msg
from test_probe_disclosure import RECIPIENT, consenting_to_the_recipient

from carecoord.events.access import DisclosureRecorded
from carecoord.events.care import ClientEnrolled
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.platform import Platform
from carecoord.services.runtime.disclosure import Forwarder

WINDOW = 1.0


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """A duplicate window short enough to outwait."""
    return isolated_settings(data_dir, duplicate_window_seconds=WINDOW)


async def forwarding_until_head(platform: Platform) -> None:
    """One run of the recipient's forwarder, from the stream's start to the store's head."""
    forwarder = Forwarder(platform, RECIPIENT, from_start=True)
    task = asyncio.create_task(forwarder.run())
    try:
        head = await asyncio.to_thread(platform.store.last_position)
        async with asyncio.timeout(20):
            await forwarder.reached(head)
        await platform.broker.connection.flush()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def disclosures(platform: Platform) -> list[DisclosureRecorded]:
    return [
        p.event for p in platform.store.read(0, 10_000) if isinstance(p.event, DisclosureRecorded)
    ]


def enrolments(platform: Platform) -> list[ClientEnrolled]:
    return [p.event for p in platform.store.read(0, 10_000) if isinstance(p.event, ClientEnrolled)]


async def stream_holds(platform: Platform, count: int) -> None:
    js = platform.broker.connection.jetstream()
    for _ in range(2000):
        if (await js.stream_info(platform.settings.stream_name)).state.messages >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the stream did not reach {count} messages")


async def test_a_replay_after_a_restart_discloses_nothing_twice(platform: Platform) -> None:
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    inbox = await platform.broker.connection.subscribe(f"disclosed.{RECIPIENT}.>", cb=collect)
    try:
        await consenting_to_the_recipient(platform)
        await stream_holds(platform, 2)
        await forwarding_until_head(platform)
        [first] = enrolments(platform)
        assert [(m.headers or {}).get("Nats-Msg-Id") for m in received] == [
            f"{RECIPIENT}:{first.event_id}"
        ]

        # Stopped. The stream is replayed past its duplicate window: the consumer is made
        # anew from the start, and the first enrolment's message is published again.
        await asyncio.sleep(WINDOW + 0.5)
        await js.delete_consumer(stream, f"disclose-{RECIPIENT}")
        enrolled = await js.get_msg(stream, seq=1)
        assert enrolled.subject is not None
        replay = await js.publish(
            enrolled.subject, enrolled.data or b"", headers=enrolled.headers, stream=stream
        )
        assert not replay.duplicate
        await consenting_to_the_recipient(platform)  # a second client: not disclosed yet
        await forwarding_until_head(platform)
    finally:
        await inbox.unsubscribe()

    second = next(e for e in enrolments(platform) if e.event_id != first.event_id)
    assert [(m.headers or {}).get("Nats-Msg-Id") for m in received] == [
        f"{RECIPIENT}:{first.event_id}",
        f"{RECIPIENT}:{second.event_id}",
    ]
    recorded = disclosures(platform)
    assert sorted(d.client_id for d in recorded) == sorted([first.client_id, second.client_id])
    assert {tuple(d.event_ids) for d in recorded} == {(first.event_id,), (second.event_id,)}
