"""Two processes writing the same clients: each hears the other's writes before it decides,
so their saves do not conflict, and nothing is lost, doubled or unchained."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
from conftest import isolated_settings
from eventsourcing.persistence import StoredEvent
from psycopg import sql
from test_command_bus import Notebook, Noted, note

from carecoord.events import Role, catalog
from carecoord.events.envelope import type_name
from carecoord.services.infrastructure import cache_freshness
from carecoord.services.infrastructure.cache_freshness import CacheFreshness
from carecoord.services.infrastructure.chain_verification import verify
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.idempotency import IdempotencyKey
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.aggregate import Recorded, aggregate_id

CLIENTS = 20
ROUNDS = 4


@dataclass
class Writer:
    """What one API process writes with: its store, its bus, and what it hears."""

    store: EventStore
    bus: CommandBus
    freshness: CacheFreshness


@pytest.fixture
def noted_in_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalog._TYPES, type_name(Noted), Noted)


@pytest.fixture
async def writers(
    database: str, data_dir: Path, noted_in_the_catalog: None
) -> AsyncIterator[tuple[Writer, Writer]]:
    env = store_env(isolated_settings(data_dir, database_url=database))
    stores = [EventStore(env=env) for _ in range(2)]
    pair = [Writer(s, CommandBus(s), CacheFreshness(s, database)) for s in stores]
    yield pair[0], pair[1]
    for writer in pair:
        writer.bus.close()
        writer.store.close()


def stored(store: EventStore, client: uuid.UUID) -> list[str]:
    """The client's notes as stored, in version order (no cache)."""
    found = store.repository.event_store.get(aggregate_id(Notebook.context, client))
    return [cast("Noted", cast("Recorded", r).event).note for r in found]


async def heard(writer: Writer, position: int, timeout: float = 10) -> None:
    """Until ``writer`` has been told of every write up to ``position``."""
    deadline = time.monotonic() + timeout
    while writer.freshness.seen < position:
        assert time.monotonic() < deadline, f"writes up to {position} not heard"
        await asyncio.sleep(0.01)


async def jot_everyone(writer: Writer, clients: list[uuid.UUID], text: str) -> int:
    outcomes = await asyncio.gather(*(writer.bus.execute(note(c, text)) for c in clients))
    return max(o.position for o in outcomes)


@pytest.mark.parametrize("listening", [True, False], ids=["listening", "deaf"])
async def test_each_writer_decides_on_what_the_other_stored(
    writers: tuple[Writer, Writer], database: str, *, listening: bool
) -> None:
    """Two processes take turns on the same clients. Listening, neither save conflicts;
    without it, every turn after the first meets stale records and runs again (it still
    lands: the listener saves work, the save's version check keeps it right)."""
    clients = [uuid.uuid4() for _ in range(CLIENTS)]
    liveness = Liveness()
    tasks = [asyncio.create_task(w.freshness.run(liveness)) for w in writers] if listening else []
    try:
        for turn in range(ROUNDS):
            for me, other in (writers, reversed(writers)):
                head = await jot_everyone(me, clients, f"{turn}")
                if listening:
                    await heard(other, head)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    conflicts = [w.bus.conflicts for w in writers]
    if listening:
        assert conflicts == [0, 0]
    else:
        assert sum(conflicts) >= 2 * ROUNDS - 2
    expected = [str(turn) for turn in range(ROUNDS) for _ in range(2)]
    assert all(stored(writers[0].store, c) == expected for c in clients)
    with psycopg.connect(database) as conn:
        assert verify(conn).intact


async def test_own_commits_are_not_read_back_and_anothers_are_at_once(
    writers: tuple[Writer, Writer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's listener reads nothing after its own commits (it cached what it stored
    as it stored it), where it read after each one, and still reads another process's at
    once: a batch of its own then decides on what the other stored, without a conflict."""
    monkeypatch.setattr(cache_freshness, "IDLE_POLL_SECONDS", 60.0)
    clients = [uuid.uuid4() for _ in range(CLIENTS)]
    first, second = writers
    task = asyncio.create_task(first.freshness.run(Liveness()))
    try:
        await heard(first, await jot_everyone(second, clients, "theirs"))  # listening
        seen = first.freshness.seen
        for turn in range(3):
            own = await jot_everyone(first, clients, f"{turn}")
        await asyncio.sleep(0.5)
        assert first.freshness.seen == seen < own
        await heard(first, await jot_everyone(second, clients, "theirs again"))
        await jot_everyone(first, clients, "last")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert first.bus.conflicts == 0
    expected = ["theirs", "0", "1", "2", "theirs again", "last"]
    assert all(stored(first.store, c) == expected for c in clients)


async def test_writers_at_once_lose_nothing_and_a_key_is_kept_once(
    writers: tuple[Writer, Writer], database: str
) -> None:
    """Both processes write the same clients at the same moment, and a caller retries each
    keyed command against the other process: every command lands once, in each client's
    order, the retry answers with the first outcome, and the chain holds."""
    clients = [uuid.uuid4() for _ in range(CLIENTS)]
    liveness = Liveness()
    tasks = [asyncio.create_task(w.freshness.run(liveness)) for w in writers]
    first, second = writers

    def key(n: int) -> IdempotencyKey:
        return IdempotencyKey("nurse-1", Role.NURSE.value, f"jot-{n}", f"digest-{n}")

    try:
        sent = [
            writer.bus.execute(note(clients[n % CLIENTS], f"{n}"), key=key(n))
            for n in range(10 * CLIENTS)
            for writer in (first, second)
        ]
        outcomes = await asyncio.gather(*sent)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    answered = [(outcomes[i], outcomes[i + 1]) for i in range(0, len(outcomes), 2)]
    assert all(a.position == b.position and a.event_ids == b.event_ids for a, b in answered)
    assert all(a.replayed != b.replayed for a, b in answered)
    for i, client in enumerate(clients):
        notes = stored(first.store, client)
        assert sorted(notes, key=int) == [str(n) for n in range(i, 10 * CLIENTS, CLIENTS)]
    with psycopg.connect(database) as conn:
        report = verify(conn)
    assert report.intact
    assert report.checked == 10 * CLIENTS  # a failed save burns positions, not events


async def test_a_batch_reads_what_its_stale_records_lack_in_one_statement(
    writers: tuple[Writer, Writer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process wrote every client since: the next batch reads the events all of
    them lack at once, not one read per record as each command loads it."""
    clients = [uuid.uuid4() for _ in range(CLIENTS)]
    liveness = Liveness()
    tasks = [asyncio.create_task(w.freshness.run(liveness)) for w in writers]
    first, second = writers
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def noted(cur: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(query.as_string(cur) if isinstance(query, sql.Composable) else str(query))
        return execute(cur, query, *args, **kwargs)

    try:
        await heard(second, await jot_everyone(first, clients, "0"))
        await heard(first, await jot_everyone(second, clients, "1"))
        with monkeypatch.context() as patch:
            patch.setattr(psycopg.Cursor, "execute", noted)
            await jot_everyone(first, clients, "2")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert len([s for s in sent if "cached(id, version)" in s]) == 1
    assert not [s for s in sent if "WHERE originator_id = " in s], "no record read alone"
    assert [w.bus.conflicts for w in writers] == [0, 0]
    assert all(stored(first.store, c) == ["0", "1", "2"] for c in clients)


async def test_a_record_that_no_longer_decodes_fails_its_own_command_only(
    writers: tuple[Writer, Writer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One client's newest stored event does not decode here (stored before a check that
    refuses it now): the batch that catches every stale record up sets that one apart, and
    every other client's command still lands."""
    clients = [uuid.uuid4() for _ in range(CLIENTS)]
    liveness = Liveness()
    tasks = [asyncio.create_task(w.freshness.run(liveness)) for w in writers]
    first, second = writers
    poisoned = aggregate_id(Notebook.context, clients[0])
    decode = first.store.mapper.to_domain_event

    def refusing(stored: StoredEvent) -> object:
        if stored.originator_id == poisoned and stored.originator_version > 1:
            raise ValueError("a check this event fails now")
        return decode(stored)

    try:
        await heard(second, await jot_everyone(first, clients, "0"))
        await heard(first, await jot_everyone(second, clients, "1"))
        monkeypatch.setattr(first.store.mapper, "to_domain_event", refusing)
        done = await asyncio.gather(
            *(first.bus.execute(note(c, "2")) for c in clients), return_exceptions=True
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(done[0], ValueError)
    assert not [d for d in done[1:] if isinstance(d, BaseException)]
    assert all(stored(second.store, c) == ["0", "1", "2"] for c in clients[1:])
    assert stored(second.store, clients[0]) == ["0", "1"]
