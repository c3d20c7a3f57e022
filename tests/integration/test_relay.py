"""The relay against a real nats-server: every event reaches the stream exactly once,
whatever moment the relay is killed at."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import fresh_database, isolated_settings
from faststream.nats import NatsBroker

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.broker import ensure_stream
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.relay import POSITION_HEADER
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def record_events(store: EventStore, count: int) -> None:
    bus = CommandBus(store, batch_max=200)
    try:
        futures = [
            bus.submit(enroll_client(ADMIN, display_name=f"client {i}", program="OTP"))
            for i in range(count)
        ]
        for future in futures:
            future.result(timeout=60)
    finally:
        bus.close()


async def stream_positions(nats_url: str, settings: Settings) -> Counter[int]:
    broker = NatsBroker(nats_url, logger=None)
    await broker.connect()
    try:
        js = broker.connection.jetstream()
        info = await js.stream_info(settings.stream_name)
        seen: Counter[int] = Counter()
        if not info.state.messages:
            return seen
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(settings.stream_name, seq=seq)
            seen[int((msg.headers or {})[POSITION_HEADER])] += 1
        return seen
    finally:
        await broker.stop()


def relay_process(database_url: str, nats_url: str, settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        NATS_URL=nats_url,
        CARECOORD_SUBJECT_ROOT=settings.subject_root,
        CARECOORD_STREAM_NAME=settings.stream_name,
        CARECOORD_DUPLICATE_WINDOW_SECONDS=str(settings.duplicate_window_seconds),
        CARECOORD_RELAY_PAGE_SIZE="10",
        CARECOORD_DATA_DIR=str(settings.data_dir),
        CARECOORD_JWT_SECRET="x" * 32,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "--log-level", "WARNING", "relay"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


Prepared = tuple[str, Settings, EventStore, NatsBroker]


@pytest.fixture
async def prepared(servers: Servers, data_dir: Path) -> AsyncIterator[Prepared]:
    settings = isolated_settings(data_dir, duplicate_window_seconds=0.5)
    with fresh_database(servers.database_url) as url:
        store = EventStore(env=store_env(settings.model_copy(update={"database_url": url})))
        broker = NatsBroker(servers.nats_url, logger=None)
        await broker.connect()
        await ensure_stream(broker, settings)
        try:
            yield url, settings, store, broker
        finally:
            await broker.connection.jetstream().delete_stream(settings.stream_name)
            await broker.stop()
            store.close()


async def wait_until_relayed(broker: NatsBroker, settings: Settings, count: int) -> int:
    """Poll the stream's message count until it reaches ``count`` (or 30 s pass)."""
    js = broker.connection.jetstream()
    messages = 0
    for _ in range(6000):
        messages = (await js.stream_info(settings.stream_name)).state.messages
        if messages >= count:
            break
        await asyncio.sleep(0.005)
    return messages


async def test_kill_9_at_random_moments_loses_and_duplicates_nothing(
    servers: Servers, prepared: Prepared
) -> None:
    url, settings, store, broker = prepared
    rng = random.Random(7)
    total = 0
    killed_at = []
    for _ in range(4):
        published = await wait_until_relayed(broker, settings, 0)
        await asyncio.to_thread(record_events, store, 1000)
        total += 1000
        relay = relay_process(url, servers.nats_url, settings)
        await wait_until_relayed(broker, settings, published + 1)
        await asyncio.sleep(rng.uniform(0, 0.02))
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        killed_at.append(await wait_until_relayed(broker, settings, 0))
    # Each kill landed mid-stream, not before the relay started or after it finished.
    assert all(0 < at < 1000 * (i + 1) for i, at in enumerate(killed_at)), killed_at
    # The dedup window (0.5 s) has long passed: exactly-once now rests on resuming right.
    await asyncio.sleep(0.6)
    relay = relay_process(url, servers.nats_url, settings)
    try:
        await wait_until_relayed(broker, settings, total)
        seen = await stream_positions(servers.nats_url, settings)
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait()

    assert sorted(seen) == list(range(1, total + 1))
    assert set(seen.values()) == {1}
