"""The disclosure forwarder stopped, its kept position removed so that it reads the store's
log from the start again (a forwarder set up anew with ``--from-start``, past the stream's
duplicate window), and started again: what it disclosed in its first run is neither sent
again nor recorded again, and what it had not disclosed yet still goes. What went to a
recipient is read from the store, not from the memory of one run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import isolated_settings
from forwarding import forwarded_to_head
from nats.aio.msg import Msg
from test_probe_disclosure import RECIPIENT, consenting_to_the_recipient

from carecoord.events.access import DisclosureRecorded
from carecoord.events.care import ClientEnrolled
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.platform import Platform

WINDOW = 1.0


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """A duplicate window short enough to outwait."""
    return isolated_settings(data_dir, duplicate_window_seconds=WINDOW)


def disclosures(platform: Platform) -> list[DisclosureRecorded]:
    return [
        p.event for p in platform.store.read(0, 10_000) if isinstance(p.event, DisclosureRecorded)
    ]


def enrolments(platform: Platform) -> list[ClientEnrolled]:
    return [p.event for p in platform.store.read(0, 10_000) if isinstance(p.event, ClientEnrolled)]


async def test_a_replay_after_a_restart_discloses_nothing_twice(platform: Platform) -> None:
    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    inbox = await platform.broker.connection.subscribe(
        f"{platform.settings.disclosure_root}.{RECIPIENT}.>", cb=collect
    )
    try:
        await consenting_to_the_recipient(platform)
        await forwarded_to_head(platform, RECIPIENT)
        [first] = enrolments(platform)
        assert [(m.headers or {}).get("Nats-Msg-Id") for m in received] == [
            f"{RECIPIENT}:{first.event_id}"
        ]

        # Stopped. Past the duplicate window, the log is read again from its start.
        await asyncio.sleep(WINDOW + 0.5)
        async with platform.pool.connection() as conn:
            await conn.execute(
                "DELETE FROM follower_positions WHERE name = %s", (f"disclose-{RECIPIENT}",)
            )
        await consenting_to_the_recipient(platform)  # a second client: not disclosed yet
        await forwarded_to_head(platform, RECIPIENT)
    finally:
        await inbox.unsubscribe()

    second = next(e for e in enrolments(platform) if e.event_id != first.event_id)
    assert [(m.headers or {}).get("Nats-Msg-Id") for m in received] == [
        f"{RECIPIENT}:{first.event_id}",
        f"{RECIPIENT}:{second.event_id}",
    ]
    recorded = disclosures(platform)
    assert sorted(d.client_id for d in recorded) == sorted([first.client_id, second.client_id])
    assert {tuple(d.event_ids) for d in recorded} == {(first.event_id,), (second.event_id,)}
