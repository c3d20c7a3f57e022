"""Idempotency keys on the bus: a keyed command records once, however often and however
concurrently it is sent, and its key is kept in the transaction of its events."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from conftest import isolated_settings
from eventsourcing.cryptography import AESCipher

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.care.record import ClientRecord
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.idempotency import IdempotencyKey
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork

T = TypeVar("T")
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def key(name: str, digest: str = "request-1") -> IdempotencyKey:
    return IdempotencyKey("admin-1", Role.PROGRAM_ADMIN.value, name, digest)


class Gate:
    """Holds the writer thread inside a command until the test opens it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def around(self, command: Command[T], *, loading: uuid.UUID | None = None) -> Command[T]:
        """``command``, waiting first (after loading ``loading``'s client record, if given)."""

        def run(uow: UnitOfWork) -> T:
            if loading is not None:
                uow.get(ClientRecord, loading)
            self.entered.set()
            assert self.opened.wait(10)
            return command(uow)

        return run

    def reached(self) -> None:
        assert self.entered.wait(10)


def enroll(client_id: uuid.UUID | None = None) -> Command[uuid.UUID]:
    return enroll_client(ADMIN, display_name="Alex R.", program="OTP", client_id=client_id)


def events_stored(url: str) -> int:
    with psycopg.connect(url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM carecoord_events").fetchone() or (0,)
    return int(count)


def kept_rows(url: str) -> list[tuple[str, int, list[uuid.UUID]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT key, position, event_ids FROM idempotency_keys").fetchall()
    return [(k, p, list(ids)) for k, p, ids in rows]


def test_a_keyed_command_sent_twice_records_once_and_answers_alike(
    two_stores: tuple[EventStore, EventStore], database: str
) -> None:
    store, _ = two_stores
    bus = CommandBus(store)
    client = uuid.uuid4()
    try:
        first = bus.execute_sync(enroll(client), key=key("k1"))
        # Run again it would be refused ("already enrolled"): the key answers instead.
        again = bus.execute_sync(enroll(client), key=key("k1"))
    finally:
        bus.close()

    assert again == first
    assert (first.replayed, again.replayed) == (False, True)
    assert events_stored(database) == 1
    assert kept_rows(database) == [("k1", first.position, list(first.event_ids))]


def test_the_same_key_on_a_different_request_is_refused_and_records_nothing(
    two_stores: tuple[EventStore, EventStore], database: str
) -> None:
    store, _ = two_stores
    bus = CommandBus(store)
    try:
        bus.execute_sync(enroll(), key=key("k1", digest="request-1"))
        with pytest.raises(InvalidInput) as refused:
            bus.execute_sync(enroll(), key=key("k1", digest="request-2"))
    finally:
        bus.close()

    assert (refused.value.field, refused.value.rule) == (
        "Idempotency-Key",
        "idempotency-key-reused",
    )
    assert events_stored(database) == 1


def test_keys_belong_to_who_sent_them(
    two_stores: tuple[EventStore, EventStore], database: str
) -> None:
    store, _ = two_stores
    bus = CommandBus(store)
    try:
        mine = bus.execute_sync(enroll(), key=key("shared"))
        theirs = bus.execute_sync(
            enroll(), key=IdempotencyKey("admin-2", Role.PROGRAM_ADMIN.value, "shared", "request-1")
        )
    finally:
        bus.close()

    assert not theirs.replayed
    assert theirs.result != mine.result
    assert events_stored(database) == 2


def test_the_same_key_twice_in_one_batch_runs_once(
    two_stores: tuple[EventStore, EventStore], database: str
) -> None:
    store, _ = two_stores
    bus = CommandBus(store)
    gate = Gate()
    try:
        holding = bus.submit(gate.around(lambda _: 0))
        gate.reached()  # the writer waits; what follows queues up as one batch
        twins = [bus.submit(enroll(), key=key("twin")) for _ in range(2)]
        other = bus.submit(enroll(), key=key("other"))
        reused = bus.submit(enroll(), key=key("twin", digest="request-2"))
        gate.opened.set()
        holding.result(timeout=10)
        first, second = (f.result(timeout=10) for f in twins)
        with pytest.raises(InvalidInput, match="different request"):
            reused.result(timeout=10)
        assert other.result(timeout=10).result != first.result
    finally:
        bus.close()

    assert second == first
    assert (first.replayed, second.replayed) == (False, True)
    assert events_stored(database) == 2


def test_a_keyed_command_whose_batch_conflicts_is_retried_and_records_once(
    two_stores: tuple[EventStore, EventStore], database: str
) -> None:
    """Another process enrolls the same client first: our batch fails on the events, our
    command is retried alone and refused, and neither a key nor an event is left of it."""
    mine, theirs = two_stores
    bus, other = CommandBus(mine), CommandBus(theirs)
    client = uuid.uuid4()
    holding, loaded = Gate(), Gate()
    try:
        bus.submit(holding.around(lambda _: 0))
        holding.reached()
        ours = bus.submit(loaded.around(enroll(client), loading=client), key=key("k1"))
        neighbour = bus.submit(enroll(), key=key("k2"))  # same batch, fails with it
        holding.opened.set()
        loaded.reached()  # ours has read the client's record: not yet enrolled
        other.execute_sync(enroll(client))
        loaded.opened.set()
        with pytest.raises(Exception, match="already enrolled"):
            ours.result(timeout=10)
        kept = neighbour.result(timeout=10)
        assert bus.execute_sync(enroll(), key=key("k2")) == kept
    finally:
        bus.close()
        other.close()

    assert events_stored(database) == 2
    assert [k for k, _, _ in kept_rows(database)] == ["k2"]


def test_a_key_kept_by_another_process_meanwhile_answers_the_retry(
    two_stores: tuple[EventStore, EventStore], database: str
) -> None:
    """Two API processes get the same keyed request; each looks the key up before the other
    commits. The second's transaction fails on the key (events and all), and its retry
    finds the first's outcome."""
    mine, theirs = two_stores
    bus, other = CommandBus(mine), CommandBus(theirs)
    gate = Gate()
    try:
        late = bus.submit(gate.around(enroll()), key=key("k1"))
        gate.reached()  # k1 was looked up (not kept yet); the command waits to be decided
        first = other.execute_sync(enroll(), key=key("k1"))
        gate.opened.set()
        answer = late.result(timeout=10)
    finally:
        bus.close()
        other.close()

    assert answer == first
    assert answer.replayed
    assert events_stored(database) == 1
    assert len(kept_rows(database)) == 1


def returning(result: object) -> Callable[[UnitOfWork], object]:
    return lambda _: result


def test_results_of_every_kind_come_back_equal(two_stores: tuple[EventStore, EventStore]) -> None:
    store, _ = two_stores
    bus = CommandBus(store)
    client, other = uuid.uuid4(), uuid.uuid4()
    results: list[object] = [True, 7, {client: other}, None, client]
    try:
        for n, result in enumerate(results):
            first = bus.execute_sync(returning(result), key=key(f"r{n}"))
            again = bus.execute_sync(lambda _: "not run", key=key(f"r{n}"))
            assert (again.result, again.replayed) == (result, True)
            assert again == first
    finally:
        bus.close()


def test_kept_results_are_sealed_like_event_bodies(database: str, data_dir: Path) -> None:
    settings = isolated_settings(
        data_dir, database_url=database, cipher_key=AESCipher.create_key(32)
    )
    store = EventStore(env=store_env(settings))
    bus = CommandBus(store)
    try:
        first = bus.execute_sync(enroll(), key=key("k1"))
        assert bus.execute_sync(enroll(), key=key("k1")) == first
    finally:
        bus.close()
        store.close()
    with psycopg.connect(database) as conn:
        (result,) = conn.execute("SELECT result FROM idempotency_keys").fetchone() or (b"",)
    assert str(first.result).encode() not in bytes(result)
    assert b'"uuid"' not in bytes(result)
