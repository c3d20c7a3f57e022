"""A page of large events (a backlog of long check-in notes) is published in runs that fit
the NATS client's outbound buffer, each acknowledged before the next is sent. The whole
page was sent at once: past the buffer the client flushes in the middle of the page, and a
connection lost after that flush loses the messages written while it keeps the later ones
for the reconnect, so the page's retry put the earlier events on the stream after the later
ones, where every subscriber keeping the position rule skips them."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import uuid4

import pytest
from nats.aio.client import DEFAULT_PENDING_SIZE

from carecoord.events import Actor, Role, headers
from carecoord.events.checkins import CheckInRecorded, ReportSource
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import doorbell
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.aggregate import Recorded, aggregate_id
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
CHECK_INS = 120
NOTE = "\N{GRINNING FACE}" * 5000  # the longest note: 20 kB of JSON, three times the buffer


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
    checkins = aggregate_id(CheckInRecorded.context, client)
    records = [
        Recorded(
            checkins,
            version,
            NURSE.event(
                CheckInRecorded,
                client,
                None,
                checkin_id=uuid4(),
                source=ReportSource.CLINICIAN,
                note=NOTE,
            ),
        )
        for version in range(1, CHECK_INS + 1)
    ]
    # One page for the relay, recorded a few at a time: a multi-megabyte batch in one
    # pipelined insert can stall the driver over a Unix socket (the embedded server's). The
    # followers read nothing until the whole backlog is stored.
    assert platform.relay is not None
    start = await asyncio.to_thread(platform.store.last_position)
    for _ in range(3000):
        if platform.relay.position >= start:
            break
        await asyncio.sleep(0.01)
    stored = threading.Event()
    read_page = doorbell.read_page

    def held(store: EventStore, after: int, limit: int) -> doorbell.Page:
        stored.wait(60)
        return read_page(store, after, limit)

    monkeypatch.setattr(doorbell, "read_page", held)
    for at in range(0, CHECK_INS, 5):
        platform.store.record(records[at : at + 5], [])
    stored.set()
    head = await asyncio.to_thread(platform.store.last_position)
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
