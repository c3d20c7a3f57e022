"""The disclosure forwarder killed mid-page (crash points ``disclosure-undecided``, before
anything is recorded, and ``disclosure-unsent``, after its intents are recorded and before it
publishes), then started again, against real PostgreSQL and NATS: the recipient is to get each
event exactly once, and the accounting is never to say an event went while it had not. A
stream on the recipient's subjects is the receiving side (it drops a repeat by
``Nats-Msg-Id``).

The forwarder records its intent, sends, then records the disclosure; on start it sends again
what it intended and had not recorded as sent while the consent still holds, and records the
intent withdrawn once it does not. What it still has to read is kept in PostgreSQL, not in a
consumer's acknowledgements: newer events recorded before the restart do not hide the page it
was killed on."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import nats
import pytest
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from test_disclosure_across_restarts import disclosures
from test_probe_disclosure import consenting_to_the_recipient

from carecoord.events import Actor, Role
from carecoord.events.access import DisclosureIntended, DisclosureWithdrawn
from carecoord.events.care import ClientEnrolled
from carecoord.events.consent import ConsentRecorded
from carecoord.services.consent.commands import revoke_consent
from carecoord.services.infrastructure.children import die_with_parent
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

E = TypeVar("E", ClientEnrolled, ConsentRecorded, DisclosureIntended, DisclosureWithdrawn)
EXIT_SECONDS = 30.0
SETTLE_SECONDS = 30.0
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
FORWARDER = (
    *(sys.executable, "-m", "carecoord.services.runtime.cli"),
    *("--log-level", "WARNING", "disclose"),
)


@contextlib.contextmanager
def forwarding(
    platform: Platform, servers: Servers, recipient: str, data_dir: Path, crash_at: str = ""
) -> Iterator[subprocess.Popen[bytes]]:
    """``carecoord disclose`` for ``recipient`` from the store's start (on its first run), a
    process of its own on the platform's database and broker; killed when the block ends if
    still running."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": platform.database_url,
        "NATS_URL": servers.nats_url,
        "CARECOORD_SUBJECT_ROOT": platform.settings.subject_root,
        "CARECOORD_STREAM_NAME": platform.settings.stream_name,
        "CARECOORD_DATA_DIR": str(data_dir),
        "CARECOORD_JWT_SECRET": platform.settings.jwt_secret or "",
    }
    if crash_at:
        env["CARECOORD_CRASH_AT"] = crash_at
    log = (data_dir / f"disclose-{crash_at or 'run'}.log").open("ab")
    process = subprocess.Popen(
        [*FORWARDER, "--recipient", recipient, "--from-start"],
        env=env,
        stdout=log,
        stderr=log,
        preexec_fn=die_with_parent(signal.SIGKILL),  # noqa: PLW1509
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        log.close()


@contextlib.asynccontextmanager
async def receiving(platform: Platform, servers: Servers, recipient: str) -> AsyncIterator[str]:
    """A stream holding what reaches the recipient's subjects; its name."""
    name = f"RECEIVED_{recipient.upper().replace('-', '_')}"
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(name=name, subjects=[f"{platform.settings.disclosure_root}.{recipient}.>"])
    )
    try:
        yield name
    finally:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(name)
        await nc.close()


async def received(servers: Servers, stream: str) -> list[str]:
    """The ``Nats-Msg-Id`` of each message the recipient's stream holds, in order."""
    nc = await nats.connect(servers.nats_url)
    try:
        js = nc.jetstream()
        count = (await js.stream_info(stream)).state.messages
        ids = []
        for seq in range(1, count + 1):
            msg = await js.get_msg(stream, seq=seq)
            ids.append((msg.headers or {}).get("Nats-Msg-Id", ""))
        return ids
    finally:
        await nc.close()


async def exited(process: subprocess.Popen[bytes]) -> int:
    return await asyncio.to_thread(process.wait, EXIT_SECONDS)


async def settled(process: subprocess.Popen[bytes], done: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``done``, the forwarder running all along; then a moment for a repeat."""
    async with asyncio.timeout(SETTLE_SECONDS):
        while not await done():
            assert process.poll() is None, "the forwarder stopped"
            await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)


def stored(platform: Platform, cls: type[E]) -> list[E]:
    return [p.event for p in platform.store.read(0, 10_000) if isinstance(p.event, cls)]


def sent_once(platform: Platform, recipient: str, enrolments: list[ClientEnrolled]) -> None:
    """Each enrolment is named by exactly one recorded disclosure, and no intent is left
    neither recorded sent nor withdrawn."""
    recorded = disclosures(platform)
    for enrolled in enrolments:
        assert len([d for d in recorded if enrolled.event_id in d.event_ids]) == 1
    intended = {i.disclosure_id for i in stored(platform, DisclosureIntended)}
    assert intended == {d.disclosure_id for d in recorded if d.recipient.id == recipient}


async def test_a_crash_before_sending_leaves_the_event_delivered_once_and_recorded_once(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    recipient = f"crash-{uuid.uuid4().hex[:8]}"
    async with receiving(platform, servers, recipient) as stream:
        await consenting_to_the_recipient(platform, recipient)
        [enrolled] = stored(platform, ClientEnrolled)
        message_id = f"{recipient}:{enrolled.event_id}"

        with forwarding(platform, servers, recipient, tmp_path, "disclosure-unsent") as first:
            assert await exited(first) == -signal.SIGKILL
        # Killed before it published: the accounting must not say that it went.
        assert await received(servers, stream) == []
        sent = [d for d in disclosures(platform) if enrolled.event_id in d.event_ids]
        assert sent == [], "recorded as disclosed, never sent"

        with forwarding(platform, servers, recipient, tmp_path) as second:

            async def arrived() -> bool:
                return bool(await received(servers, stream))

            await settled(second, arrived)
            assert await received(servers, stream) == [message_id]
            sent_once(platform, recipient, [enrolled])


@pytest.mark.parametrize("crash_at", ["disclosure-undecided", "disclosure-unsent"])
async def test_newer_events_before_the_restart_do_not_hide_the_page_killed_on(
    platform: Platform, servers: Servers, tmp_path: Path, crash_at: str
) -> None:
    """With acknowledgements that cover everything before them (``AckPolicy.ALL``), the
    first batch acknowledged after a restart acknowledged the one a crash left, and what it
    had not disclosed was never forwarded: the forwarder relies on no redelivery."""
    recipient = f"newer-{uuid.uuid4().hex[:8]}"
    async with receiving(platform, servers, recipient) as stream:
        for _ in range(2):
            await consenting_to_the_recipient(platform, recipient)
        with forwarding(platform, servers, recipient, tmp_path, crash_at) as first:
            assert await exited(first) == -signal.SIGKILL
        assert await received(servers, stream) == []
        await consenting_to_the_recipient(platform, recipient)  # newer, on the stream too
        enrolments = stored(platform, ClientEnrolled)
        wanted = sorted(f"{recipient}:{e.event_id}" for e in enrolments)

        with forwarding(platform, servers, recipient, tmp_path) as second:

            async def all_arrived() -> bool:
                return len(await received(servers, stream)) >= len(wanted)

            await settled(second, all_arrived)
            assert sorted(await received(servers, stream)) == wanted
            sent_once(platform, recipient, enrolments)


async def test_an_intent_whose_consent_was_revoked_before_the_restart_is_withdrawn_unsent(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    recipient = f"revoked-{uuid.uuid4().hex[:8]}"
    async with receiving(platform, servers, recipient) as stream:
        await consenting_to_the_recipient(platform, recipient)
        [enrolled] = stored(platform, ClientEnrolled)
        [consent] = stored(platform, ConsentRecorded)
        with forwarding(platform, servers, recipient, tmp_path, "disclosure-unsent") as first:
            assert await exited(first) == -signal.SIGKILL
        [intent] = stored(platform, DisclosureIntended)
        await platform.bus.execute(
            revoke_consent(ADMIN, client_id=enrolled.client_id, consent_id=consent.consent_id)
        )

        with forwarding(platform, servers, recipient, tmp_path) as second:

            async def withdrawn() -> bool:
                return bool(stored(platform, DisclosureWithdrawn))

            await settled(second, withdrawn)
            assert await received(servers, stream) == []
            assert disclosures(platform) == []
            [said] = stored(platform, DisclosureWithdrawn)
            assert (said.disclosure_id, said.consent_id, said.recipient.id) == (
                intent.disclosure_id,
                consent.consent_id,
                recipient,
            )
            assert said.reason == "the consent it relied on was no longer in force"
