"""The doorbell that wakes a process's followers: once per commit of its own, and at each
commit of another process's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import isolated_settings
from test_command_bus import Noted, note

from carecoord.events import catalog
from carecoord.events.envelope import type_name
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.doorbell import Doorbell
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.store import EventStore, store_env


class Counted(Doorbell):
    """A doorbell that counts its rings."""

    rings = 0

    def _ring(self) -> None:
        self.rings += 1
        super()._ring()


@pytest.fixture
async def stores(
    database: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[EventStore, EventStore]]:
    monkeypatch.setitem(catalog._TYPES, type_name(Noted), Noted)
    env = store_env(isolated_settings(data_dir, database_url=database))
    ours, theirs = EventStore(env=env), EventStore(env=env)
    yield ours, theirs
    ours.close()
    theirs.close()


async def rung(bell: Counted, wake: asyncio.Event, times: int) -> None:
    """Until ``bell`` has rung ``times`` times in all (``wake``: a follower's bell)."""
    async with asyncio.timeout(10):
        while bell.rings < times:
            wake.clear()
            await wake.wait()


async def test_own_commits_ring_once_and_anothers_ring(
    stores: tuple[EventStore, EventStore], database: str
) -> None:
    """The bus rings at each commit of its own; the NOTIFY of the same commit rang again,
    and woke every follower to read nothing. Another process's commit is heard."""
    ours, theirs = stores
    bell = Counted(database, ours.channel, rung_by=ours.own_backends)
    wake = bell.bell()
    listening = asyncio.create_task(bell.run(Liveness()))
    bus, other = CommandBus(ours, on_commit=bell.ring), CommandBus(theirs)
    try:
        await rung(bell, wake, 1)  # listening: it rings once on connecting
        await asyncio.to_thread(other.execute_sync, note(uuid.uuid4(), "theirs"))
        await rung(bell, wake, 2)
        for n in range(3):
            await bus.execute(note(uuid.uuid4(), f"{n}"))
        await rung(bell, wake, 5)
        await asyncio.to_thread(other.execute_sync, note(uuid.uuid4(), "theirs again"))
        await rung(bell, wake, 6)
        await asyncio.sleep(0.3)  # their NOTIFY comes after those of ours: none rang more
        assert bell.rings == 6
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        bus.close()
        other.close()
