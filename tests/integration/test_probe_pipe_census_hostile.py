"""The example downstream service against messages of another publisher on the care
subjects: no position, a position that is no number, no type, a body that is not its type's.
Each is skipped, acknowledged and logged by its stream sequence, and the events after it
are applied: the first such message was refused and delivered again at once, for ever (ten
thousand tracebacks in 25 s), and the census applied nothing more."""

from __future__ import annotations

import json
import uuid

import pytest
from raw_nats import opened
from test_downstream_census import census_through, enroll, relayed

from carecoord.events import ClientEnrolled, headers
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

TYPE = {headers.TYPE: "care.ClientEnrolled"}
HOSTILE: list[tuple[bytes, dict[str, str]]] = [
    (b"\x00\xff", {}),  # no headers at all
    (b"{}", {headers.POSITION: "seven", **TYPE}),  # a position that is no number
    (b"{}", {headers.POSITION: "3"}),  # no type
    (b"[1]", {headers.POSITION: "4", **TYPE}),  # JSON of another shape
    (b'{"schema_version": null}', {headers.POSITION: "5", **TYPE}),  # of other types
]


async def test_messages_that_are_no_events_are_skipped_and_the_census_goes_on(
    platform: Platform, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    js = platform.broker.connection.jetstream()
    settings = platform.settings
    subject = f"{settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for body, sent in HOSTILE:
        await js.publish(subject, body, headers=sent or None, stream=settings.stream_name)
    client, position = await enroll(platform, "Alex R.")
    census, skipped = await census_through(platform, servers, caplog, position)

    assert [(type(e), e.client_id) for _, e in census.applied] == [(ClientEnrolled, client)]
    assert skipped == list(range(1, len(HOSTILE) + 1))
    assert all("Alex" not in r.getMessage() for r in caplog.records)


LOOKS_LIKE_THE_SERVERS: list[tuple[bytes, dict[str, str]]] = [
    (b"", {"Status": "100", "Description": "Idle Heartbeat"}),
    (b"", {"Status": "404", "Description": "No Messages"}),
    (b"", {"Status": "408", "Description": "Request Timeout"}),
    (b"{}", {"Status": "409", headers.POSITION: "2", **TYPE}),
    (b"", {"Status": "503"}),
]


async def test_messages_a_pull_takes_for_the_servers_own_are_skipped_and_the_census_goes_on(
    platform: Platform, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    """A message with a ``Status`` header or a status line, which nats-py's pull fetch takes
    for the server's own and hands to no handler: it was never acknowledged, so with one
    message in flight at most the census waited on it for good and applied nothing after
    it."""
    js = platform.broker.connection.jetstream()
    settings = platform.settings
    subject = f"{settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    client, first = await enroll(platform, "Alex R.")
    await relayed(platform, first)  # stream sequence 1
    for body, sent in LOOKS_LIKE_THE_SERVERS:
        await js.publish(subject, body, headers=sent, stream=settings.stream_name)
    await published_raw(servers, subject, b"NATS/1.0 404 No Messages\r\n\r\n", b"{}")
    later, position = await enroll(platform, "Sam K.")
    census, skipped = await census_through(platform, servers, caplog, position)

    assert [e.client_id for _, e in census.applied] == [client, later]
    assert skipped == list(range(2, len(LOOKS_LIKE_THE_SERVERS) + 3))
    assert all("Idle" not in r.getMessage() for r in caplog.records)


async def published_raw(servers: Servers, subject: str, block: bytes, body: bytes) -> None:
    """``body`` under the header block ``block`` as written, a status line too (no client
    sends one; the stream stores it as sent)."""
    reader, writer = await opened(servers.nats_url)
    try:
        writer.write(
            f"HPUB {subject} {len(block)} {len(block) + len(body)}\r\n".encode()
            + block
            + body
            + b"\r\nPING\r\n"
        )
        await writer.drain()
        await reader.readline()  # PONG: the server has it
    finally:
        writer.close()


def forged(subject_root: str, version: int) -> tuple[str, bytes, dict[str, str]]:
    """A message in an enrolment's envelope (subject, type, id and position agreeing) whose
    body is of a schema version no type has: below the first."""
    client, event = uuid.uuid4(), uuid.uuid4()
    name = "care.ClientEnrolled"
    body = {"type": name, "event_id": str(event), "client_id": str(client)}
    sent = {headers.MSG_ID: str(event), headers.POSITION: "1", headers.TYPE: name}
    subject = f"{subject_root}.{name}.{client}"
    return subject, json.dumps(body | {"schema_version": version}).encode(), sent


async def test_an_events_envelope_at_a_schema_version_below_the_first_is_skipped(
    platform: Platform, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    """Versions 0 and -1 read as older than the catalog's and were upcast from there: no
    upcaster has them, so the decode failed (``KeyError``), the message was refused and
    delivered again for ever, and the census applied nothing after it."""
    js = platform.broker.connection.jetstream()
    settings = platform.settings
    for version in (0, -1):
        subject, body, sent = forged(settings.subject_root, version)
        await js.publish(subject, body, headers=sent, stream=settings.stream_name)
    client, position = await enroll(platform, "Alex R.")
    census, skipped = await census_through(platform, servers, caplog, position)

    assert [e.client_id for _, e in census.applied] == [client]
    assert skipped == [1, 2]


async def test_headers_not_ascii_are_skipped_and_the_census_goes_on(
    platform: Platform, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    """A position, a type or a message id in UTF-8 beyond ASCII (which nats-py hands over
    as text here, where it read a stored one back as an ``email.header.Header``): each is
    no event, skipped by its stream sequence."""
    settings = platform.settings
    subject = f"{settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for block in (
        "NATS/1.0\r\nCarecoord-Position: 7\u00e9\r\nCarecoord-Type: care.ClientEnrolled\r\n\r\n",
        "NATS/1.0\r\nCarecoord-Position: 8\r\nCarecoord-Type: care.Client\u00c9nrolled\r\n\r\n",
        "NATS/1.0\r\nCarecoord-Position: 9\r\nNats-Msg-Id: \u00ff\u00fe\r\n"
        "Carecoord-Type: care.ClientEnrolled\r\n\r\n",
    ):
        await published_raw(servers, subject, block.encode(), b"{}")
    client, position = await enroll(platform, "Alex R.")
    census, skipped = await census_through(platform, servers, caplog, position)

    assert [e.client_id for _, e in census.applied] == [client]
    assert skipped == [1, 2, 3]
