"""The disclosure forwarder against messages on the care subjects that are no events of the
relay's: each is withheld and logged by a code, never by its content, and the events after it
are still handled, at once and after a restart of the forwarder."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import uuid

import pytest

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.disclosure import Forwarder

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
SECRET = "NOTE-7f3a"
FOREIGN: list[tuple[bytes, dict[str, str] | None]] = [
    (f'{{"note": "{SECRET}"'.encode(), None),  # no headers, not JSON
    (b"{}", {"Carecoord-Type": "care.ClientEnrolled", "Carecoord-Position": "1"}),
    (b"[]", {"Carecoord-Type": "care.NoSuchType", "Carecoord-Position": "1"}),
    (b'{"schema_version": []}', {"Carecoord-Type": "care.ClientEnrolled"}),
]


async def enrolled(platform: Platform) -> int:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    return await asyncio.to_thread(platform.store.last_position)


async def forwarded_through(platform: Platform, position: int) -> None:
    """Run a forwarder from the stream's start until it has handled ``position``."""
    forwarder = Forwarder(platform, "acme-health", from_start=True)
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
        with contextlib.suppress(asyncio.CancelledError):
            await task


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
    after = await enrolled(platform)  # the same durable consumer, made again
    await forwarded_through(platform, after)

    withheld = [r for r in caplog.records if getattr(r, "code", None) == "MESSAGE_UNREADABLE"]
    assert len(withheld) == len(FOREIGN)
    assert SECRET not in caplog.text
    assert before < after


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
