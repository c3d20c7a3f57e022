"""Two platforms on one NATS server, each under its own subject root, disclose to a recipient
of one id: each recipient receives its own platform's disclosures and never the other's.
The disclosures of a platform under the default root go where they always went
(``disclosed.<recipient>.>``, the subjects deploy/nats.conf lets a recipient read); those of
any other root under ``disclosed-<root>.<recipient>.>`` (``Settings.disclosure_root``).

The NATS server is one of the test's own (real, the embedded one), so a platform may take
the default root and stream (``care``, ``CARE``) without meeting anyone else's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from conftest import isolated_settings, started
from forwarding import forwarded_to_head
from nats.aio.subscription import Subscription
from test_probe_disclosure import consenting_to_the_recipient

from carecoord.services.runtime import embedded
from carecoord.services.runtime.bootstrap import Servers

RECIPIENT = "clinic_north"


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[str]:
    """A nats-server of the test's own; its URL."""
    server = embedded.start_nats(tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def recipient(nats_url: str, subject: str) -> AsyncIterator[Subscription]:
    """An outside recipient subscribed to ``subject`` on a connection of its own."""
    nc = await nats.connect(nats_url)
    try:
        subscription = await nc.subscribe(subject)
        await nc.flush()
        yield subscription
    finally:
        await nc.close()


async def subjects(subscription: Subscription, quiet: float = 0.5) -> list[str]:
    """What the recipient received: the first message waited for, then every other until
    none came for ``quiet`` seconds (anything crossing over would have come by then)."""
    got: list[str] = []
    with contextlib.suppress(nats.errors.TimeoutError):
        while True:
            got.append((await subscription.next_msg(timeout=quiet if got else 10)).subject)
    return got


@pytest.mark.parametrize(
    ("first_root", "second_root"),
    [("care", "north"), ("east", "west.clinics")],
    ids=["default-and-another", "two-others"],
)
async def test_two_platforms_on_one_server_never_disclose_to_each_others_recipient(
    servers: Servers, own_nats: str, data_dir: Path, first_root: str, second_root: str
) -> None:
    settings = [
        isolated_settings(data_dir, subject_root=root, stream_name=root.upper().replace(".", "_"))
        for root in (first_root, second_root)
    ]
    prefixes = [s.disclosure_root for s in settings]
    if first_root == "care":  # the default deployment's subjects, as before
        assert prefixes[0] == "disclosed"
    assert prefixes[0] != prefixes[1]

    async with contextlib.AsyncExitStack() as stack:
        shared = Servers(servers.database_url, own_nats)
        platforms = [await stack.enter_async_context(started(s, shared)) for s in settings]
        inboxes = [
            await stack.enter_async_context(recipient(own_nats, f"{prefix}.{RECIPIENT}.>"))
            for prefix in prefixes
        ]
        clients = [await consenting_to_the_recipient(p, RECIPIENT) for p in platforms]
        for platform in platforms:
            await forwarded_to_head(platform, RECIPIENT)
        received = [await subjects(inbox) for inbox in inboxes]

    for prefix, client, got in zip(prefixes, clients, received, strict=True):
        assert got == [f"{prefix}.{RECIPIENT}.care.ClientEnrolled.{client}"]
