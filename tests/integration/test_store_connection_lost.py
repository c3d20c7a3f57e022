"""The reads a batch of commands makes before it decides (what other processes wrote to the
records it holds) are asked again when the server ended their connection (a restart, an
operator's pg_terminate_backend), as the library asks its own reads again: they failed the
batch's commands, INTERNAL_SERVER_ERROR to each client, though nothing had been decided."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4

import psycopg
import pytest
from conftest import isolated_settings

from carecoord.services.infrastructure.store import EventStore, store_env


@pytest.fixture
def store(database: str, data_dir: Path) -> Iterator[EventStore]:
    opened = EventStore(env=store_env(isolated_settings(data_dir, database_url=database)))
    yield opened
    opened.close()


def end_every_backend(database: str) -> None:
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_what_was_written_since_is_asked_again(store: EventStore, database: str) -> None:
    store.written_since({uuid4(): 0})  # the pool holds a connection
    end_every_backend(database)

    assert store.written_since({uuid4(): 0}) is False


def test_what_a_cached_record_lacks_is_asked_again(store: EventStore, database: str) -> None:
    store.written_since({uuid4(): 0})
    end_every_backend(database)
    held = cast("Any", SimpleNamespace(version=1))

    assert store._lacking({uuid4(): held}) == []
