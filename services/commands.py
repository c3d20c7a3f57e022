"""The command bus: decisions run one at a time, commits go many at a time (group commit).

Commands are plain functions ``(UnitOfWork) -> result``. A single writer thread takes
whatever commands are waiting, runs each against the aggregates it touches (a later
command in the same batch sees the events of an earlier one) and saves every touched
aggregate in one transaction. If that transaction fails (another process wrote the same
record first), every member is retried alone, so one client's conflict never fails
another's command. The event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from carecoord.services.aggregate import Aggregate, Recorded, aggregate_id
from carecoord.services.errors import DomainError
from carecoord.services.store import EventStore

log = logging.getLogger("carecoord.commands")

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

MAX_CONFLICT_RETRIES = 3


class UnitOfWork:
    """What one command sees: the aggregates of its batch, loaded once."""

    def __init__(self, store: EventStore, touched: dict[UUID, Aggregate]) -> None:
        self._store = store
        self._touched = touched
        self._before: dict[UUID, int] = {}

    def get(self, cls: type[A], client_id: UUID) -> A:
        aid = aggregate_id(cls.context, client_id)
        aggregate = self._touched.get(aid)
        if aggregate is None:
            aggregate = self._store.load(cls, client_id)
            self._touched[aid] = aggregate
        self._before.setdefault(aid, len(aggregate.pending))
        return aggregate  # type: ignore[return-value]

    def recorded(self) -> list[Recorded]:
        """What this command recorded, so a batch is stored in the order it was decided."""
        new: list[Recorded] = []
        for aid, start in self._before.items():
            new.extend(self._touched[aid].pending[start:])
        return new


Command = Callable[[UnitOfWork], T]


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A command's result and the global position of the last event it recorded."""

    result: T
    position: int
    event_ids: tuple[UUID, ...]


@dataclass(slots=True)
class _Pending:
    command: Command[Any]
    future: Future[Outcome[Any]] = field(default_factory=Future)
    attempts: int = 0


class CommandBus:
    def __init__(
        self,
        store: EventStore,
        *,
        batch_max: int = 200,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._batch_max = batch_max
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="command-writer", daemon=True)
        self._thread.start()

    async def execute(self, command: Command[T]) -> Outcome[T]:
        return await asyncio.wrap_future(self.submit(command))

    def execute_sync(self, command: Command[T]) -> Outcome[T]:
        return self.submit(command).result()

    def submit(self, command: Command[T]) -> Future[Outcome[T]]:
        pending = _Pending(command)
        self._queue.put(pending)
        return pending.future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._commit(batch)
                    return
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        touched: dict[UUID, Aggregate] = {}
        decided: list[tuple[_Pending, Any, list[UUID]]] = []
        in_order: list[Recorded] = []
        try:
            for item in batch:
                uow = UnitOfWork(self._store, touched)
                try:
                    result = item.command(uow)
                except DomainError as refusal:
                    item.future.set_exception(refusal)
                    continue
                new = uow.recorded()
                in_order.extend(new)
                decided.append((item, result, [r.event.event_id for r in new]))
            recordings = self._store.record(in_order, list(touched.values()))
        except Exception as failure:
            self._store.evict(*touched)
            if len(batch) > 1:
                for item in batch:
                    if not item.future.done():
                        self._commit([item])
                return
            self._fail_alone(batch[0], failure)
            return
        positions = {r.domain_event.event.event_id: r.notification.id for r in recordings}  # type: ignore[attr-defined]
        for item, result, event_ids in decided:
            last = max((positions[e] for e in event_ids), default=0)
            item.future.set_result(Outcome(result, last, tuple(event_ids)))
        if recordings and self._on_commit is not None:
            self._on_commit(max(positions.values()))

    def _fail_alone(self, item: _Pending, failure: Exception) -> None:
        if isinstance(failure, IntegrityError) and item.attempts < MAX_CONFLICT_RETRIES:
            item.attempts += 1
            log.info("command conflicted with a concurrent writer; retrying from the store")
            self._commit([item])
            return
        if not item.future.done():
            log.exception("command failed", exc_info=failure)
            item.future.set_exception(failure)
