"""A batch of megabytes is stored in one transaction, whatever the socket to the server.

The library inserts a batch in a psycopg pipeline and syncs it explicitly; psycopg's
pipeline stops flushing once its queue is empty, and a sync waits for the server's answer
with the rest of the batch still in libpq's buffer: past the socket's buffer (about 1 MB on
a Unix socket, a few MB over TCP) the server waits for the batch and the driver for the
answer, for ever. A group commit of many long notes is such a batch."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from conftest import fresh_database, isolated_settings
from long_notes import NOTE, long_check_ins

from carecoord.events import Role
from carecoord.services.infrastructure.idempotency import IdempotencyKey, Keeping
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.aggregate import Recorded
from carecoord.services.runtime.bootstrap import Servers

EVENTS = 600  # 12 MB: past the buffers of a Unix socket and of loopback TCP
STALLED = 120.0
"""Seconds after which the batch counts as stalled (it takes about a second)."""


@pytest.fixture
def store(servers: Servers, data_dir: Path) -> Iterator[tuple[EventStore, str]]:
    with fresh_database(servers.database_url) as url:
        store = EventStore(env=store_env(isolated_settings(data_dir, database_url=url)))
        yield store, url
        store.close()


def recorded_within(
    store: EventStore, events: Sequence[Recorded], keeping: Sequence[Keeping[object]] = ()
) -> None:
    """Record ``events`` in a thread of its own, failing the test if it stalls (a daemon
    thread, so a stalled driver does not hold the test run at its exit)."""
    failed: list[BaseException] = []

    def record() -> None:
        try:
            store.record(events, [], keeping)
        except BaseException as error:
            failed.append(error)

    writer = threading.Thread(target=record, daemon=True)
    writer.start()
    writer.join(STALLED)
    assert not writer.is_alive(), f"a batch of {len(events)} long check-ins stalled"
    assert not failed, failed


def stored_notes(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        count, size = conn.execute(
            "SELECT count(*), coalesce(sum(length(state)), 0) FROM carecoord_events"
        ).fetchone() or (0, 0)
    return int(count), int(size)


def test_a_batch_of_megabytes_is_stored_in_one_transaction(
    store: tuple[EventStore, str],
) -> None:
    events_store, url = store
    recorded_within(events_store, long_check_ins(uuid4(), EVENTS))

    count, size = stored_notes(url)
    assert count == EVENTS
    assert size > EVENTS * len(NOTE.encode())  # each note whole


def test_a_keyed_batch_of_megabytes_keeps_its_key(store: tuple[EventStore, str]) -> None:
    events_store, url = store
    events = long_check_ins(uuid4(), EVENTS)
    key = IdempotencyKey("nurse-1", Role.NURSE.value, "long-notes", "request-1")
    keeping: Keeping[object] = Keeping(key, 0, tuple(r.event.event_id for r in events), result=None)
    recorded_within(events_store, events, [keeping])

    assert stored_notes(url)[0] == EVENTS
    assert events_store.kept([key])[key.scope].position > 0
