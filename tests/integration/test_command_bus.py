"""Group commit: many commands, one transaction; a conflict or a refusal fails only its own."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from typing import Any, ClassVar

import pytest

from carecoord.events import Actor, CareEvent, Kind, Role, catalog
from carecoord.events.envelope import type_name
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import correlation
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.aggregate import Aggregate, aggregate_id
from carecoord.services.kernel.errors import Forbidden, RuleViolation, Unavailable
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.runtime.logs import JsonFormatter
from carecoord.services.users.commands import suspend

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


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


def noted_then_refused(client: uuid.UUID, text: str) -> Command[int]:
    """A command that records, then finds a reason to refuse (as prescribing does when the
    override it records after the order is out of bounds)."""

    def run(uow: UnitOfWork) -> int:
        note(client, text)(uow)
        raise RuleViolation("note", "refused-after-recording", "refused after recording")

    return run


@pytest.mark.usefixtures("noted_in_the_catalog")
def test_a_command_refused_after_it_recorded_leaves_nothing_of_it_in_the_batch_or_cache(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """What a refused command recorded before it refused is stored nowhere and read by no
    later command: it stayed in the cached record, so a prescription answered as refused was
    in force for every later decision (a retry was refused as a second order of the drug)."""
    store, _ = two_stores
    client, other = uuid.uuid4(), uuid.uuid4()
    bus = CommandBus(store, batch_max=100)
    bus.execute_sync(note(client, "first"))
    go = threading.Event()
    held = bus.submit(lambda uow: go.wait(10))
    futures = [
        bus.submit(note(client, "before")),
        bus.submit(note(other, "beside")),
        bus.submit(noted_then_refused(client, "phantom")),
        bus.submit(note(client, "after")),
    ]
    go.set()
    held.result(timeout=30)

    with pytest.raises(RuleViolation, match="refused after recording"):
        futures[2].result(timeout=10)
    assert [futures[n].result(timeout=10).result for n in (0, 1, 3)] == [2, 1, 3]
    assert bus.execute_sync(note(client, "last")).result == 4
    assert store.load(Notebook, client).notes == ["first", "before", "after", "last"]
    bus.close()
    store.evict(aggregate_id(Notebook.context, client))
    assert store.load(Notebook, client).notes == ["first", "before", "after", "last"]


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


@pytest.mark.usefixtures("noted_in_the_catalog")
def test_a_conflict_in_a_batch_costs_a_few_commits_not_one_per_member(
    two_stores: tuple[EventStore, EventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two API processes sharing clients: a batch that meets one stale record runs again in
    halves on fresh state, so every member lands and the commits stay near log2 of the batch."""
    mine, theirs = two_stores
    clients = [uuid.uuid4() for _ in range(64)]
    bus, other = CommandBus(mine, batch_max=64), CommandBus(theirs)
    for client in clients:
        bus.execute_sync(note(client, "first"))  # all cached by us at version 1
    other.execute_sync(note(clients[17], "second"))  # one written elsewhere
    commits: list[int] = []
    record = mine.record

    def counted(*args: Any, **kwargs: Any) -> Any:
        commits.append(len(args[0]))
        return record(*args, **kwargs)

    monkeypatch.setattr(mine, "record", counted)
    go = threading.Event()

    def hold(uow: UnitOfWork) -> None:
        go.wait(10)  # keeps the writer busy until the whole batch is queued behind it

    held = bus.submit(hold)
    futures = [bus.submit(note(c, "third")) for c in clients]
    go.set()
    held.result(timeout=30)
    versions = [f.result(timeout=30).result for f in futures]

    assert versions == [3 if c == clients[17] else 2 for c in clients]
    # one batch of most of the 64 met the stale record; its halves ran on fresh state, down
    # to the one (one commit per member, as before, would be 60 and more)
    assert max(commits) >= 32
    assert len(commits) <= 3 + 2 * 6
    bus.close()
    other.close()


def test_a_command_logs_under_the_correlation_id_it_was_submitted_with(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """The writer thread runs each command in the context it was submitted from, so what a
    command logs names its request, whichever batch it rode in."""
    store, _ = two_stores
    lines: list[dict[str, Any]] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(JsonFormatter().format(record)))

    def logging_enrolment(name: str) -> Command[uuid.UUID]:
        enrol = enroll_client(ADMIN, display_name=name, program="P")

        def command(uow: UnitOfWork) -> uuid.UUID:
            logging.getLogger("carecoord.test").info("deciding")
            return enrol(uow)

        return command

    logger = logging.getLogger("carecoord.test")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    bus = CommandBus(store, batch_max=100)
    try:
        futures = []
        for k in range(3):
            with correlation.bound(correlation_id=f"request-{k}"):
                futures.append(bus.submit(logging_enrolment(f"c{k}")))
        for future in futures:
            future.result(timeout=10)
    finally:
        bus.close()
        logger.removeHandler(handler)
        logger.setLevel(level)

    assert sorted(line["correlation_id"] for line in lines) == [
        "request-0",
        "request-1",
        "request-2",
    ]


@pytest.mark.usefixtures("noted_in_the_catalog")
def test_a_command_whose_every_try_meets_another_write_is_told_to_send_it_again(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """A record read for the decision is written by another process during each try: after
    the retries the caller gets UNAVAILABLE naming the rule, not an internal error, and
    nothing of it is recorded."""
    mine, theirs = two_stores
    read, written = uuid.uuid4(), uuid.uuid4()
    bus, other = CommandBus(mine), CommandBus(theirs)
    bus.execute_sync(note(read, "first"))
    tries = 0

    def copy_while_they_write(uow: UnitOfWork) -> None:
        nonlocal tries
        tries += 1
        source = uow.get(Notebook, read)
        other.execute_sync(note(read, f"meanwhile {tries}"))
        uow.get(Notebook, written).record(ADMIN.event(Noted, written, None, note=source.notes[-1]))

    with pytest.raises(Unavailable) as refused:
        bus.execute_sync(copy_while_they_write)
    assert (refused.value.field, refused.value.rule) == ("input", "concurrent-writes")
    assert tries == 4
    assert not mine.load(Notebook, written).exists
    bus.close()
    other.close()


@pytest.mark.usefixtures("noted_in_the_catalog")
async def test_a_caller_cancelled_while_its_command_waits_leaves_the_writer_serving(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """A websocket closed under its mutation cancels the resolver awaiting the bus: the
    cancellation reached the command's future, and the writer, answering it once its batch
    was stored, failed on it (``InvalidStateError``) and stopped; every later command of the
    process waited forever. The command is decided with its batch as any other."""
    store, _ = two_stores
    client = uuid.uuid4()
    bus = CommandBus(store, batch_max=100)
    go = threading.Event()
    held = bus.submit(lambda uow: go.wait(10))
    waiting = asyncio.create_task(bus.execute(note(client, "cut off")))
    beside = asyncio.create_task(bus.execute(note(uuid.uuid4(), "beside")))
    await asyncio.sleep(0.05)
    waiting.cancel()
    go.set()
    await asyncio.to_thread(held.result, 30)

    assert (await asyncio.wait_for(beside, 30)).result == 1
    assert (await asyncio.wait_for(bus.execute(note(client, "later")), 30)).result == 2
    with pytest.raises(asyncio.CancelledError):
        await waiting
    bus.close()


@pytest.mark.usefixtures("noted_in_the_catalog")
def test_a_command_cancelled_by_its_submitter_is_not_run_and_the_writer_serves_on(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """A ``submit`` caller may cancel the future it was given while the command waits in the
    queue: it is left out, never run, where the writer set its outcome and stopped."""
    store, _ = two_stores
    client = uuid.uuid4()
    bus = CommandBus(store, batch_max=100)
    running, go = threading.Event(), threading.Event()

    def hold(uow: UnitOfWork) -> bool:
        running.set()
        return go.wait(10)

    held = bus.submit(hold)
    assert running.wait(10)  # the writer holds its batch: what follows waits in the queue
    dropped = bus.submit(note(client, "cancelled"))
    beside = bus.submit(note(uuid.uuid4(), "beside"))

    assert dropped.cancel()
    go.set()

    held.result(timeout=30)
    assert beside.result(timeout=30).result == 1
    assert bus.submit(note(client, "later")).result(timeout=30).result == 1  # the first
    bus.close()


def test_a_command_of_a_user_suspended_since_the_gate_admitted_it_records_nothing(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """The gate asks whether a user is suspended as their request arrives; a suspension
    another process commits before their command does refuses it all the same."""
    store, elsewhere = two_stores
    suspending = CommandBus(elsewhere)
    left = suspend(ADMIN, user_id="nurse-7", reason="left the program", program=None)
    suspending.submit(left).result(timeout=30)
    suspending.close()
    bus = CommandBus(store, batch_max=100)
    nurse = Stamp(Actor(id="nurse-7", role=Role.NURSE))
    futures = [
        bus.submit(enroll_client(nurse, display_name="a", program="P")),
        bus.submit(enroll_client(ADMIN, display_name="b", program="P")),
    ]
    with pytest.raises(Forbidden) as refused:
        futures[0].result(timeout=30)
    assert refused.value.rule == "user-suspended"
    assert futures[1].result(timeout=30).event_ids
    bus.close()


def test_a_command_submitted_after_the_bus_closed_is_answered_at_once(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """A thread still submitting as the process stopped (``up --demo`` stopped by Ctrl-C
    while its demo loaded) waited for ever on a command queued behind the writer's stop,
    and the process did not end."""
    store, _ = two_stores
    bus = CommandBus(store)
    bus.close()

    late = bus.submit(enroll_client(ADMIN, display_name="late", program="P"))
    with pytest.raises(Unavailable, match="stopping") as refused:
        late.result(timeout=5)
    assert refused.value.rule == "commands-stopped"
    with pytest.raises(Unavailable, match="stopping"):
        asyncio.run(bus.execute(enroll_client(ADMIN, display_name="late", program="P")))
