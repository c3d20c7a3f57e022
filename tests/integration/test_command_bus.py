"""Group commit: many commands, one transaction; a conflict or a refusal fails only its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import fresh_database, isolated_settings

from carecoord.events import Actor, CareEvent, Kind, Role, catalog
from carecoord.events.envelope import type_name
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


@pytest.fixture
def two_stores(servers: Servers, data_dir: Path) -> Iterator[tuple[EventStore, EventStore]]:
    """Two stores on one database: two processes writing the same records."""
    with fresh_database(servers.database_url) as url:
        env = store_env(isolated_settings(data_dir, database_url=url))
        first, second = EventStore(env=env), EventStore(env=env)
        yield first, second
        first.close()
        second.close()


def test_concurrent_commands_share_transactions(two_stores: tuple[EventStore, EventStore]) -> None:
    store, _ = two_stores
    bus = CommandBus(store, batch_max=100)
    futures = [
        bus.submit(enroll_client(ADMIN, display_name=f"c{i}", program="P")) for i in range(300)
    ]
    outcomes = [f.result(timeout=30) for f in futures]
    bus.close()

    assert sorted(o.position for o in outcomes) == list(range(1, 301))
    assert all(len(o.event_ids) == 1 for o in outcomes)


def test_a_refusal_in_a_batch_fails_only_that_command(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    store, _ = two_stores
    bus = CommandBus(store, batch_max=100)
    twice = uuid.uuid4()
    futures = [
        bus.submit(enroll_client(ADMIN, display_name="a", program="P", client_id=twice)),
        bus.submit(enroll_client(ADMIN, display_name="b", program="P")),
        bus.submit(enroll_client(ADMIN, display_name="a again", program="P", client_id=twice)),
        bus.submit(enroll_client(ADMIN, display_name="c", program="P")),
    ]
    assert futures[0].result(timeout=10).result == twice
    assert futures[1].result(timeout=10).position > 0
    with pytest.raises(RuleViolation, match="already enrolled"):
        futures[2].result(timeout=10)
    assert futures[3].result(timeout=10).position > 0
    bus.close()


class Noted(CareEvent):
    """A test-only fact, so these tests do not depend on any clinical rule."""

    context: ClassVar[str] = "bustest"
    kind: ClassVar[Kind] = Kind.CARE

    note: str


@pytest.fixture
def noted_in_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Noted`` in the catalog for one test: registered at import, it would be in every
    test's catalog (the checked-in event contract's test among them) once collected."""
    monkeypatch.setitem(catalog._TYPES, type_name(Noted), Noted)


class Notebook(Aggregate):
    context: ClassVar[str] = "bustest"

    def __init__(self, client_id: uuid.UUID) -> None:
        super().__init__(client_id)
        self.notes: list[str] = []

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, Noted):
            self.notes.append(event.note)


def note(client: uuid.UUID, text: str) -> Command[int]:
    def run(uow: UnitOfWork) -> int:
        book = uow.get(Notebook, client)
        book.record(ADMIN.event(Noted, client, None, note=text))
        return book.version

    return run


@pytest.mark.usefixtures("noted_in_the_catalog")
def test_a_stale_cache_conflict_is_retried_from_the_store(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """Another process writes a record we hold in cache; our next save must not lose theirs."""
    mine, theirs = two_stores
    client = uuid.uuid4()
    bus, other = CommandBus(mine), CommandBus(theirs)
    bus.execute_sync(note(client, "first"))  # cached by us at version 1
    other.execute_sync(note(client, "second"))  # version 2, written elsewhere

    outcome = bus.execute_sync(note(client, "third"))  # conflicts, reloads, lands at version 3

    assert outcome.result == 3
    assert mine.load(Notebook, client).notes == ["first", "second", "third"]
    bus.close()
    other.close()
