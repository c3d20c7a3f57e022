"""The example downstream service against messages of another publisher whose headers read
as an event's and whose body is not one: a position past the store's on a type no handler
counts, a position too long for an int, a bare body newer than the catalog, a body nested
past any parser's depth, and a copy of an event with its program changed under an id of its
own. Each is skipped and logged by its stream sequence, and the events after it are
applied: the first moved the census past every event after it, the next two were refused
and delivered again for ever."""

from __future__ import annotations

import json
import uuid

import pytest
from test_downstream_census import census_through, enroll, relayed

from carecoord.events import ClientEnrolled, headers
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

UNCOUNTED = {headers.TYPE: "care.NotInTheCatalog"}
ENROLLED = {headers.TYPE: "care.ClientEnrolled"}


async def test_headers_of_an_event_on_a_body_that_is_none_are_not_trusted(
    platform: Platform, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    js = platform.broker.connection.jetstream()
    settings = platform.settings
    root, stream = settings.subject_root, settings.stream_name
    client, first = await enroll(platform, "Alex R.")
    await relayed(platform, first)  # stream sequence 1
    held = await js.get_msg(stream, 1)
    copy = json.loads(held.data or b"") | {"program": "Elsewhere"}
    hostile: list[tuple[str, bytes, dict[str, str]]] = [
        (
            f"{root}.care.NotInTheCatalog.{uuid.uuid4()}",
            b"{}",
            {headers.POSITION: "999999999999", **UNCOUNTED},
        ),
        (
            f"{root}.care.NotInTheCatalog.{uuid.uuid4()}",
            b"{}",
            {headers.POSITION: "9" * 5000, **UNCOUNTED},
        ),
        (
            f"{root}.care.ClientEnrolled.{uuid.uuid4()}",
            b'{"schema_version": 99}',
            {headers.POSITION: str(first + 1), **ENROLLED},
        ),
        (
            f"{root}.care.ClientEnrolled.{uuid.uuid4()}",
            b"[" * 100_000,
            {headers.POSITION: str(first + 1), **ENROLLED},
        ),
        (
            f"{root}.care.ClientEnrolled.{client}",
            json.dumps(copy).encode(),
            {headers.POSITION: str(first + 1), headers.MSG_ID: str(uuid.uuid4()), **ENROLLED},
        ),
    ]
    for subject, body, sent in hostile:
        await js.publish(subject, body, headers=sent, stream=stream)
    later, position = await enroll(platform, "Sam K.")
    census, skipped = await census_through(platform, servers, caplog, position)

    assert [(type(e), e.client_id) for _, e in census.applied] == [
        (ClientEnrolled, client),
        (ClientEnrolled, later),
    ]
    assert census.programs == {client: "OTP", later: "OTP"}
    assert skipped == list(range(2, len(hostile) + 2))
    assert all("Elsewhere" not in r.getMessage() for r in caplog.records)
