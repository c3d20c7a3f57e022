"""A message of another publisher on an event's subject with a header that is not ASCII:
nats-py reads it back from the stream through the standard library's email parser, which
gives such a value as an ``email.header.Header``, not a string. The relay's start took it for
its position and failed with ``AttributeError`` at every start: nothing was published any
more, and /health said the relay loop was stuck."""

from __future__ import annotations

import asyncio

from carecoord.events import Actor, Role, catalog, headers
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.doorbell import Doorbell, read_page
from carecoord.services.infrastructure.relay import Relay
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def test_a_header_not_ascii_on_an_events_subject_does_not_stop_the_relays_start(
    unrelayed: Platform,
) -> None:
    platform = unrelayed
    for i in range(3):
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
    head = await asyncio.to_thread(platform.store.last_position)
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    for stored in (await asyncio.to_thread(read_page, platform.store, 0, head)).events:
        await js.publish(  # last on each event's subject, as the relay's start looks them up
            catalog.subject(platform.settings.subject_root, stored.event),
            b"{}",
            headers={
                headers.POSITION: f"{stored.position}\u00e9",
                headers.MSG_ID: f"{stored.event.event_id}\u00e9",
            },
            stream=stream,
        )
    relay = Relay(
        platform.store,
        platform.broker,
        platform.pool,
        platform.settings,
        Doorbell(platform.database_url, platform.store.channel),
        platform.liveness,
    )

    assert await relay.resume_position() == 0  # none of them is the relay's

    following = asyncio.create_task(relay.run())
    try:
        for _ in range(600):  # 30 s
            if (await js.stream_info(stream)).state.messages >= 2 * head:
                break
            await asyncio.sleep(0.05)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    info = await js.stream_info(stream)
    published = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        sent = (await js.get_msg(stream, seq=seq)).headers or {}
        if isinstance(sent.get(headers.POSITION), str):
            published.append(int(sent[headers.POSITION]))
    assert published == list(range(1, head + 1))
