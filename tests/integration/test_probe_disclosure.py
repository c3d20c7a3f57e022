"""The disclosure forwarder against messages on the care subjects that are no events of the
store's (malformed or forged): it reads the store's log, not the stream, so none of them is
disclosed, recorded or logged (their content least of all); the events after them are still
handled, at once and after a restart of the forwarder."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest
from nats.aio.msg import Msg

from carecoord.events import Actor, Kind, Role, catalog, headers
from carecoord.events.access import DisclosureRecorded
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.care.commands import enroll_client
from carecoord.services.consent.commands import record_consent
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.disclosure import Forwarder

RECIPIENT = "acme-health"
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
SECRET = "NOTE-7f3a"
FOREIGN: list[tuple[bytes, dict[str, str] | None]] = [
    (f'{{"note": "{SECRET}"'.encode(), None),  # no headers, not JSON
    (b"{}", {"Carecoord-Type": "care.ClientEnrolled", "Carecoord-Position": "1"}),
    (b"[]", {"Carecoord-Type": "care.NoSuchType", "Carecoord-Position": "1"}),
    (b'{"schema_version": []}', {"Carecoord-Type": "care.ClientEnrolled"}),
]


async def enrolled(platform: Platform) -> int:
    """A new client's enrollment; its position."""
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    return await asyncio.to_thread(platform.store.last_position)


async def forwarded_through(platform: Platform, position: int) -> Forwarder:
    """Run a forwarder from the stream's start until it has handled ``position``."""
    forwarder = Forwarder(platform, RECIPIENT, from_start=True)
    task = asyncio.create_task(forwarder.run())
    try:
        async with asyncio.timeout(20):
            done, _ = await asyncio.wait(
                [task, asyncio.ensure_future(forwarder.reached(position))],
                return_when=asyncio.FIRST_COMPLETED,
            )
        assert task not in done, "the forwarder stopped"
    finally:
        task.cancel()
        # Bounded: a forwarder that ignored its cancellation hung a CI run here once.
        stopped, _ = await asyncio.wait([task], timeout=10)
        assert stopped, f"the forwarder did not stop when cancelled: {task.get_stack()}"
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return forwarder


async def test_foreign_messages_are_withheld_and_the_rest_go_on(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    before = await enrolled(platform)
    js = platform.broker.connection.jetstream()
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for data, sent in FOREIGN:
        await js.publish(subject, data, headers=sent, stream=platform.settings.stream_name)
    caplog.set_level(logging.INFO)

    await forwarded_through(platform, await enrolled(platform))
    after = await enrolled(platform)  # run again from the position the first run kept
    await forwarded_through(platform, after)

    told = [r for r in caplog.records if r.name == "carecoord.disclosure"]
    assert [r.levelno for r in told] == [logging.INFO] * len(told)
    assert [getattr(r, "sent", None) for r in told] == [0] * len(told)
    assert SECRET not in caplog.text
    assert before < after


async def consenting_to_the_recipient(
    platform: Platform, recipient: str = RECIPIENT, kind: Kind = Kind.CARE
) -> UUID:
    """A client enrolled, whose consent names ``recipient`` for ``kind`` entries; their id."""
    client: UUID = (
        await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    ).result
    await platform.bus.execute(
        record_consent(
            ADMIN,
            client_id=client,
            recipients=(Recipient(type=RecipientType.ORGANIZATION, id=recipient, name="Acme"),),
            purpose="care coordination with primary care",
            data_kinds=(kind,),
            signed_on=datetime.now(UTC).date(),
            signed_by="Sam K.",
            expiry_event="end of treatment",
        )
    )
    return client


async def test_a_forged_event_for_a_consenting_client_is_neither_disclosed_nor_recorded(
    platform: Platform,
) -> None:
    await consenting_to_the_recipient(platform)
    head = await asyncio.to_thread(platform.store.last_position)
    [genuine] = [p.event for p in platform.store.read(0, head) if p.position == 1]
    forged = genuine.model_copy(update={"event_id": uuid.uuid4()})
    await platform.broker.connection.jetstream().publish(
        catalog.subject(platform.settings.subject_root, forged),
        catalog.encode(forged),
        headers=headers.for_event(forged, head),
        stream=platform.settings.stream_name,
    )

    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    inbox = await platform.broker.connection.subscribe(
        f"{platform.settings.disclosure_root}.{RECIPIENT}.>", cb=collect
    )
    try:
        await forwarded_through(platform, await enrolled(platform))
        await platform.broker.connection.flush()
    finally:
        await inbox.unsubscribe()

    # The genuine enrollment goes (the consent covers it), the forgery does not.
    assert [(m.headers or {}).get("Nats-Msg-Id") for m in received] == [
        f"{RECIPIENT}:{genuine.event_id}"
    ]
    disclosed = [
        p.event.description
        for p in platform.store.read(0, 1000)
        if isinstance(p.event, DisclosureRecorded)
    ]
    assert [d.split(" ", 1)[0] for d in disclosed] == ["1"]


def test_a_recipient_id_that_is_no_subject_token_is_refused_with_the_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "disclose", "--recipient", "a.b"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert "argument --recipient: a recipient id is 1 to 100 letters" in done.stderr
    assert "Traceback" not in done.stderr
