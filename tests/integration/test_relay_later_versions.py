"""After a rollback, an event the later release recorded at a schema version this catalog does
not read goes on the stream as stored, in its place: set aside, it stayed off the stream for
good, as the later release's relay, once back, resumed past it."""

from __future__ import annotations

import asyncio
import json

from undecodable import record_a_later_versions_event, store_a_changed_copy

from carecoord.events import Actor, Role
from carecoord.events.care import ClientEnrolled
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import positions
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
LATER = ClientEnrolled.version + 1


async def relayed_through(
    platform: Platform, position: int
) -> list[tuple[str, dict[str, str], bytes]]:
    """Once the relay has reached ``position``, each message on the stream: its subject,
    headers and body."""
    async with platform.pool.connection() as conn:
        for _ in range(3000):
            if await positions.read(conn, "relay") >= position:
                break
            await asyncio.sleep(0.01)
    js = platform.broker.connection.jetstream()
    name = platform.settings.stream_name
    state = (await js.stream_info(name)).state
    found: list[tuple[str, dict[str, str], bytes]] = []
    for seq in range(state.first_seq, state.last_seq + 1):
        msg = await js.get_msg(name, seq=seq)
        found.append((str(msg.subject), {**(msg.headers or {})}, msg.data or b""))
    return found


async def test_an_event_of_a_later_schema_version_is_published_as_stored_in_its_place(
    platform: Platform,
) -> None:
    first = await platform.bus.execute(enroll_client(ADMIN, display_name="Sam", program="OTP"))
    later = await asyncio.to_thread(
        store_a_changed_copy, platform, {"schema_version": LATER, "program_id": "OTP"}
    )
    unknown = await asyncio.to_thread(record_a_later_versions_event, platform)
    last = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo", program="OTP"))

    sent = await relayed_through(platform, last.position)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT position, error FROM parked_events WHERE follower = 'relay' ORDER BY 1"
        )
        parked = await cur.fetchall()

    assert [int(h["Carecoord-Position"]) for _, h, _ in sent] == [
        first.position,
        later,
        last.position,
    ]
    subject, sent_headers, body = sent[1]
    stored = json.loads(body)
    assert stored["schema_version"] == LATER
    assert stored["program_id"] == "OTP"  # the later version's field, as stored
    assert subject == f"{platform.settings.subject_root}.care.ClientEnrolled.{first.result}"
    assert sent_headers["Nats-Msg-Id"] == stored["event_id"]
    assert sent_headers["Carecoord-Type"] == "care.ClientEnrolled"
    assert sent_headers["correlation_id"] == stored["correlation_id"]
    assert sent_headers["content-type"] == "application/json"
    # A type this catalog lacks stays set aside: whether it is published is not known here.
    assert parked == [(unknown, "UnknownEventType")]
