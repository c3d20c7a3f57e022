"""Another publisher on the care subjects sends a message under a stored event's id and
position, with other content, before the relay has published it (event ids show in the
API's timeline as soon as the views have them). The relay neither takes it for its own
publish and skips the events before it, nor lets the stream's de-duplication drop the real
event without a word: the rest are published, and the one whose id was taken is set aside."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from carecoord.events import Actor, Role, catalog, headers
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.doorbell import Doorbell, read_page
from carecoord.services.infrastructure.relay import Relay
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
EVENTS = 5


def relay_of(platform: Platform) -> Relay:
    store, settings = platform.store, platform.settings
    doorbell = Doorbell(platform.database_url, store.channel)
    return Relay(store, platform.broker, platform.pool, settings, doorbell, platform.liveness)


async def forge_last(platform: Platform, forged: bytes | None = None) -> None:
    """Publish, under the newest stored event's id and position, ``forged``, or the event
    with another client's name."""
    head = await asyncio.to_thread(platform.store.last_position)
    stored = (await asyncio.to_thread(read_page, platform.store, head - 1, 1)).events[0]
    if forged is None:
        body = json.loads(catalog.encode(stored.event))
        body["display_name"] = "Someone Else"
        forged = json.dumps(body).encode()
    settings: Settings = platform.settings
    await platform.broker.connection.jetstream().publish(
        catalog.subject(settings.subject_root, stored.event),
        forged,
        headers=headers.for_event(stored.event, stored.position),
        stream=settings.stream_name,
    )


async def stream_positions(platform: Platform, count: int) -> list[int]:
    """The positions on the stream, in stream order, once it holds ``count`` messages."""
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    for _ in range(1000):
        info = await js.stream_info(stream)
        if info.state.messages >= count:
            break
        await asyncio.sleep(0.01)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq=seq)
        found.append(int((msg.headers or {})[headers.POSITION]))
    return found


async def parked_for_relay(platform: Platform) -> list[tuple[int, str]]:
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT position, error FROM parked_events WHERE follower = 'relay' ORDER BY 1"
        )
        return [(int(p), str(e)) for p, e in await cur.fetchall()]


@pytest.mark.parametrize(
    "forged",
    [
        None,  # the event itself, another client's name in it
        b"[1]",  # JSON of the wrong shape: no object to read a version from
        b'{"schema_version": null}',  # of the wrong types: the version no number
        b'{"schema_version": 1e999}',  # a version no integer holds
        b"\xff\xfe",  # no JSON at all
    ],
)
async def test_a_forged_message_under_a_stored_id_neither_skips_nor_hides_events(
    unrelayed: Platform, forged: bytes | None
) -> None:
    for i in range(EVENTS):
        await unrelayed.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
    await forge_last(unrelayed, forged)
    relay = relay_of(unrelayed)

    assert await relay.resume_position() == 0  # the forged message is not the relay's own

    running_relay = asyncio.create_task(relay.run())
    try:
        for _ in range(1000):
            if relay.position >= EVENTS:
                break
            await asyncio.sleep(0.01)
        # the forged one first, then every event before it; the real last one was dropped
        assert await stream_positions(unrelayed, EVENTS) == [EVENTS, *range(1, EVENTS)]
        assert await parked_for_relay(unrelayed) == [(EVENTS, "MessageIdTaken")]
    finally:
        running_relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running_relay
