"""``carecoord tail`` against messages of another publisher on the care subjects that a NATS
client reads as the server's own.

- A message with an empty body and ``Status: 100`` and ``Description: Idle Heartbeat``
  headers reads, to nats-py's ordered consumer, as the server's heartbeat: the tail printed
  nothing after it, nor did a tail started later, and it made consumers on the stream for
  ever (the broker's limit of them was reached in seconds).
- A header block that is not UTF-8 (nats-server 2.9 stores one with a status line) ended the
  read loop of nats-py's connection: the client read nothing more, without a word.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

from nats.aio.msg import Msg
from nats.js.errors import NotFoundError
from raw_nats import opened
from tailed import holding, tailed

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.broker import declare_stream
from carecoord.services.infrastructure.stream_reader import HeaderTolerantClient, OrderedReader
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
LOOKS_LIKE_THE_SERVERS = [
    {"Status": "100", "Description": "Idle Heartbeat"},
    {"Status": "100", "Description": "FlowControl Request"},
    {"Status": "100", "Description": "Idle Heartbeat", "Nats-Last-Consumer": "99999"},
    {"Status": "404", "Description": "No Messages"},
    {"Status": "409", "Description": "Consumer Deleted"},
]


async def test_messages_that_look_like_the_servers_own_do_not_stop_the_tail(
    platform: Platform, servers: Servers
) -> None:
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for sent in LOOKS_LIKE_THE_SERVERS:
        await js.publish(subject, b"", headers=sent, stream=stream)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))

    lines, _ = await tailed(platform, servers, until=holding("Sam K."))

    assert lines, "the tail printed nothing"
    assert "Sam K." in lines[-1]
    assert [json.loads(line)["position"] for line in lines] == [1]
    assert (await js.stream_info(stream)).state.consumer_count <= 1


async def test_a_live_tail_goes_on_after_them_and_made_its_consumer_once(
    platform: Platform, servers: Servers
) -> None:
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    nc = HeaderTolerantClient()
    await nc.connect(servers.nats_url)
    reader = OrderedReader(nc, stream, f"{platform.settings.subject_root}.>", new_only=True)
    try:
        await reader.start()
        for sent in LOOKS_LIKE_THE_SERVERS:
            await js.publish(subject, b"", headers=sent, stream=stream)
        await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
        read = []
        async with asyncio.timeout(30):
            async for msg in reader.messages():
                read.append(msg)
                if msg.data:
                    break
        assert [m.data for m in read[:-1]] == [b""] * len(LOOKS_LIKE_THE_SERVERS)
        assert json.loads(read[-1].data)["display_name"] == "Sam K."
        assert [m.metadata.sequence.stream for m in read] == list(range(1, len(read) + 1))
        assert reader.restarts == 0
    finally:
        await reader.stop()
        await nc.close()


async def test_a_tail_makes_a_lost_consumer_again_after_what_it_read(
    platform: Platform, servers: Servers
) -> None:
    """The consumer removed under it (as a broker restart loses it): it is made again after
    the last message read, and nothing is read twice or lost."""
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    nc = HeaderTolerantClient()
    await nc.connect(servers.nats_url)
    reader = OrderedReader(
        nc, stream, f"{platform.settings.subject_root}.>", new_only=False, heartbeat=0.2
    )
    names = [f"c{i}" for i in range(6)]
    try:
        await platform.bus.execute(enroll_client(ADMIN, display_name=names[0], program="OTP"))
        await reader.start()
        read: list[str] = []
        async with asyncio.timeout(30):
            async for msg in reader.messages():
                read.append(json.loads(msg.data)["display_name"])
                if len(read) == 1:
                    assert reader.consumer is not None
                    # Gone already when the reader made its consumer again itself just then
                    # (on a busy machine 0.6 s without a heartbeat) and removed this one.
                    with contextlib.suppress(NotFoundError):
                        await js.delete_consumer(stream, reader.consumer)
                    for name in names[1:]:
                        await platform.bus.execute(
                            enroll_client(ADMIN, display_name=name, program="OTP")
                        )
                if len(read) == len(names):
                    break
        assert read == names
        assert reader.restarts >= 1
    finally:
        await reader.stop()
        await nc.close()


async def test_a_header_block_not_utf8_leaves_the_connection_reading(
    servers: Servers,
) -> None:
    """Sent on a plain subject: nats-server 2.9 delivers such a message from a stream too."""
    nc = HeaderTolerantClient()
    await nc.connect(servers.nats_url)
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def got(msg: Msg) -> None:
        await received.put(msg.data)

    subject = f"probe.{uuid.uuid4().hex}"
    try:
        await nc.subscribe(subject, cb=got)
        await nc.flush()
        reader, writer = await opened(servers.nats_url)
        block = b"NATS/1.0 100 \xff\xfe\r\n\r\n"
        writer.write(
            f"HPUB {subject} {len(block)} {len(block)}\r\n".encode()
            + block
            + b"\r\n"
            + f"PUB {subject} 5\r\nafter\r\nPING\r\n".encode()
        )
        await writer.drain()
        await reader.readline()  # PONG: the server has both
        writer.close()
        async with asyncio.timeout(10):
            assert await received.get() == b""
            assert await received.get() == b"after"
    finally:
        await nc.close()


async def test_a_tail_reads_a_stream_made_anew_from_its_first_message(
    platform: Platform, servers: Servers
) -> None:
    """The stream removed and made again under it (by an operator, or as a broker's store is
    lost): its sequences count from 1 again, and the consumer made again after the last
    message read skipped as many of the new stream's first messages without a word."""
    js = platform.broker.connection.jetstream()
    settings = platform.settings
    nc = HeaderTolerantClient()
    await nc.connect(servers.nats_url)
    reader = OrderedReader(
        nc, settings.stream_name, f"{settings.subject_root}.>", new_only=False, heartbeat=0.2
    )
    names = [f"c{i}" for i in range(5)]
    try:
        for name in names[:2]:
            await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
        await reader.start()
        read: list[str] = []
        async with asyncio.timeout(30):
            async for msg in reader.messages():
                read.append(json.loads(msg.data)["display_name"])
                if len(read) == 2:
                    await js.delete_stream(settings.stream_name)
                    await declare_stream(platform.broker.connection, settings)
                    for name in names[2:]:
                        await platform.bus.execute(
                            enroll_client(ADMIN, display_name=name, program="OTP")
                        )
                if len(read) == len(names):
                    break
        assert read == names
    finally:
        await reader.stop()
        await nc.close()
