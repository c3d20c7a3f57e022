"""A page of large events (a backlog of long check-in notes) is published in runs that fit
the NATS client's outbound buffer, each acknowledged before the next is sent. The whole
page was sent at once: past the buffer the client flushes in the middle of the page, and a
connection lost after that flush loses the messages written while it keeps the later ones
for the reconnect, so the page's retry put the earlier events on the stream after the later
ones, where every subscriber keeping the position rule skips them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from long_notes import long_check_ins
from nats.aio.client import DEFAULT_PENDING_SIZE

from carecoord.events import Actor, Role, headers
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
CHECK_INS = 120  # 2.4 MB of the longest notes: several times the client's buffer


async def test_a_page_larger_than_the_clients_buffer_goes_in_acknowledged_runs(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_flight = peak = 0
    publish = platform.broker.publish

    async def measured(message: bytes, subject: str, **options: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += len(message)
        peak = max(peak, in_flight)
        try:
            return await publish(message, subject, **options)
        finally:
            in_flight -= len(message)

    monkeypatch.setattr(platform.broker, "publish", measured)
    client = (
        await platform.bus.execute(enroll_client(ADMIN, display_name="P", program="OTP"))
    ).result
    records = long_check_ins(client, CHECK_INS)
    await asyncio.to_thread(platform.store.record, records, [])  # one page for the relay
    head = await asyncio.to_thread(platform.store.last_position)
    assert platform.relay is not None
    for _ in range(3000):
        if platform.relay.position >= head:
            break
        await asyncio.sleep(0.01)

    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    info = await js.stream_info(stream)
    published = [
        int(((await js.get_msg(stream, seq=seq)).headers or {})[headers.POSITION])
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]
    assert published == sorted(published)
    assert len(published) == CHECK_INS + 1
    assert peak <= DEFAULT_PENDING_SIZE // 2, f"{peak} bytes in flight at once"
