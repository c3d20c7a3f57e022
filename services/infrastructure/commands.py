"""The command bus: decisions run one at a time, commits go many at a time (group commit).

Commands are plain functions ``(UnitOfWork) -> result``. A single writer thread takes
whatever commands are waiting, runs each against the aggregates it touches (a later
command in the same batch sees the events of an earlier one) and saves every touched
aggregate in one transaction. If that transaction fails (another process wrote the same
record first), its members run again on fresh state in halves, down to one alone, so one
client's conflict never fails another's command and costs a few commits, not one per
member. A command refused after it recorded something leaves nothing behind: the others of
its batch run again on fresh state without it. One refused on a record another process has
written since it was cached here runs again on the record as stored before it is answered,
as does one that records nothing and asks for that to be checked (``check_nothing``).
The event loop never waits on the database.

A command submitted with an idempotency key is looked up first (one query for all the
keys of a batch): a key already kept answers with its first outcome and the command is
not run; otherwise its outcome is kept with its events, in the same transaction
(``services/infrastructure/idempotency.py``). The same key twice in one batch runs once.

Each command runs in the context it was submitted from: what it logs carries its request's
correlation id (``correlation.py``), and with tracing on, a batch's commit is a span
(``tracing.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

from carecoord.services.infrastructure.decided_on import suspended_actor
from carecoord.services.infrastructure.idempotency import (
    IdempotencyKey,
    Keeping,
    Kept,
    Scope,
    reused,
)
from carecoord.services.infrastructure.liveness import error_code
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.aggregate import Aggregate, Recorded
from carecoord.services.kernel.errors import DomainError, InvalidInput, Unavailable
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.users.access import suspended_refusal

if TYPE_CHECKING:
    from carecoord.services.infrastructure.tracing import Tracing

log = logging.getLogger("carecoord.commands")

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

MAX_CONFLICT_RETRIES = 3


def _conflicted() -> Unavailable:
    """The answer to a command whose every try met another process's write: nothing was
    recorded, and sending it again is the remedy, not an internal error."""
    return Unavailable(
        "input",
        "concurrent-writes",
        f"another process changed this record each of the {MAX_CONFLICT_RETRIES + 1} times"
        " this was decided; nothing was recorded: send it again",
    )


def _closed() -> Unavailable:
    """The answer to a command submitted once the bus has closed (the process stopping)."""
    return Unavailable(
        "", "commands-stopped", "the process is stopping; nothing was recorded: send it again"
    )


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A command's result and the global position of the last event it recorded."""

    result: T
    position: int
    event_ids: tuple[UUID, ...]
    replayed: bool = field(default=False, compare=False)
    """True when an idempotency key found this outcome kept by an earlier request."""


@dataclass(slots=True)
class _Pending:
    command: Command[Any]
    key: IdempotencyKey | None = None
    future: Future[Outcome[Any]] = field(default_factory=Future)
    attempts: int = 0
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    """Where it was submitted from (its request's correlation id and trace)."""
    waiter: asyncio.Future[Outcome[Any]] | None = None
    """An async caller's, told on its own loop once the batch has settled (``_told``)."""


@dataclass(slots=True)
class _Decisions:
    """What one batch decided: its events in order, each command's result, and its keys."""

    kept: dict[Scope, Kept]
    decided: list[tuple[_Pending, Any, list[UUID]]] = field(default_factory=list)
    in_order: list[Recorded] = field(default_factory=list)
    keeping: list[Keeping[object]] = field(default_factory=list)
    leaders: dict[Scope, tuple[str, _Pending]] = field(default_factory=dict)
    followers: list[tuple[_Pending, _Pending]] = field(default_factory=list)

    def answered(self, item: _Pending) -> bool:
        """Whether ``item``'s key answers it without running it: kept by an earlier request,
        or the same key earlier in this batch. A different request under it is refused."""
        key = item.key
        if key is None:
            return False
        kept, leading = self.kept.get(key.scope), self.leaders.get(key.scope)
        if kept is not None and kept.digest == key.digest:
            item.future.set_result(
                Outcome(kept.result, kept.position, kept.event_ids, replayed=True)
            )
        elif leading is not None and leading[0] == key.digest:
            self.followers.append((item, leading[1]))
        elif kept is not None or leading is not None:
            item.future.set_exception(reused())
        else:
            return False
        return True

    def add(self, item: _Pending, result: object, new: list[Recorded]) -> None:
        event_ids = [r.event.event_id for r in new]
        if item.key is not None:
            self.leaders[item.key.scope] = (item.key.digest, item)
            self.keeping.append(Keeping(item.key, len(self.in_order), tuple(event_ids), result))
        self.in_order.extend(new)
        self.decided.append((item, result, event_ids))

    def answer(self, recordings: Sequence[Recording[UUID]]) -> int:
        """Resolve every decided command (and its followers); the last position stored."""
        positions = {r.domain_event.event.event_id: r.notification.id for r in recordings}  # type: ignore[attr-defined]
        for item, result, event_ids in self.decided:
            last = max((positions[e] for e in event_ids), default=0)
            item.future.set_result(Outcome(result, last, tuple(event_ids)))
        for item, leader in self.followers:
            item.future.set_result(replace(leader.future.result(), replayed=True))
        return max(positions.values(), default=0)


def _tell(batch: Sequence[_Pending]) -> None:
    """Tell the batch's async callers their outcomes: one wake-up of each event loop for
    the whole batch, where each outcome woke its loop (a write to its self-pipe) on its
    own. Each is told only once its future is settled, which the batch has done."""
    waiting: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
    for item in batch:
        if item.waiter is not None:
            waiting.setdefault(item.waiter.get_loop(), []).append(item)
    for loop, items in waiting.items():
        with contextlib.suppress(RuntimeError):  # its loop closed: no one is waiting
            loop.call_soon_threadsafe(_told, items)


def _told(items: Sequence[_Pending]) -> None:
    """On the callers' loop: each waiter takes its command's outcome (or its refusal)."""
    for item in items:
        waiter = item.waiter
        if waiter is None or waiter.done():  # its caller was cancelled
            continue
        if not item.future.done():  # not settled with its batch: told when it is
            item.future.add_done_callback(functools.partial(_tell_later, item))
            continue
        failure = item.future.exception()
        if failure is not None:
            waiter.set_exception(failure)
        else:
            waiter.set_result(item.future.result())


def _tell_later(item: _Pending, _: Future[Outcome[Any]]) -> None:
    _tell([item])


def _taken(items: Sequence[_Pending]) -> list[_Pending]:
    """The items the writer runs: each future is marked running, so it can no longer be
    cancelled; one its ``submit`` caller cancelled while it waited in the queue is left out,
    never run. Setting the outcome of a future cancelled meanwhile raised on the writer's
    thread and stopped it, and every later command of the process waited for ever."""
    return [item for item in items if item.future.set_running_or_notify_cancel()]


class CommandBus:
    def __init__(
        self,
        store: EventStore,
        *,
        batch_max: int = 200,
        on_commit: Callable[[int], None] | None = None,
        on_done: Callable[[Command[Any], Future[Outcome[Any]]], None] | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._store = store
        self._tracing = tracing
        self._batch_max = batch_max
        self._on_commit = on_commit
        self._on_done = on_done
        """Told each command's outcome as it settles (metrics); runs on the writer thread."""
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._closing = threading.Lock()
        self._closed = False
        self.conflicts = 0
        """Saves that failed and ran their commands again: most often another process wrote
        one of the records first, which ``cache_freshness.py`` leaves to simultaneous writes."""
        self._thread = threading.Thread(target=self._run, name="command-writer", daemon=True)
        self._thread.start()

    async def execute(
        self, command: Command[T], *, key: IdempotencyKey | None = None
    ) -> Outcome[T]:
        """``submit``, awaited. A caller cancelled while it waits (a websocket closed under
        its mutation) leaves the command to its batch: whatever that decides is stored or
        refused as for any other member, and no one is told."""
        waiter: asyncio.Future[Outcome[T]] = asyncio.get_running_loop().create_future()
        self._put(_Pending(command, key, waiter=waiter))
        return await waiter

    def execute_sync(self, command: Command[T], *, key: IdempotencyKey | None = None) -> Outcome[T]:
        return self.submit(command, key=key).result()

    def submit(
        self, command: Command[T], *, key: IdempotencyKey | None = None
    ) -> Future[Outcome[T]]:
        """Queue ``command``; with ``key``, a key already kept answers with its first outcome."""
        pending = _Pending(command, key)
        self._put(pending)
        return pending.future

    def _put(self, pending: _Pending) -> None:
        if self._on_done is not None:
            pending.future.add_done_callback(functools.partial(self._on_done, pending.command))
        with self._closing:
            if not self._closed:
                self._queue.put(pending)
                return
        # Queued behind the writer's stop, it was never run nor answered: a thread still
        # submitting as the process stopped (the demo's load on Ctrl-C) waited for ever, and
        # the process with it.
        if pending.future.set_running_or_notify_cancel():
            pending.future.set_exception(_closed())
        _tell([pending])

    def close(self) -> None:
        with self._closing:
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = _taken([first])
            while len(batch) < self._batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._settle(batch)
                    return
                batch.extend(_taken([nxt]))
            if batch:
                self._settle(batch)

    def _settle(self, batch: list[_Pending]) -> None:
        try:
            if self._tracing is None:
                self._commit(batch)
                return
            with self._tracing.commit(len(batch), [item.context for item in batch]):
                self._commit(batch)
        finally:
            _tell(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        touched: dict[UUID, Aggregate] = {}
        try:
            keys = [item.key for item in batch if item.key and not item.future.done()]
            self._store.catch_up()
            decisions = _Decisions(self._store.kept(keys))
            for item in batch:
                if decisions.answered(item):
                    continue
                uow = UnitOfWork(self._store, touched)
                try:
                    result = item.context.run(item.command, uow)
                except DomainError as refusal:
                    # Bad input is refused whatever is stored: only a refusal of what the
                    # records hold asks whether they moved on (a query a refusal).
                    if not isinstance(refusal, InvalidInput) and self._moved_on(item, uow):
                        self._again_afresh(batch, touched)
                        return
                    item.future.set_exception(refusal)
                    if uow.recorded():
                        self._again_afresh(batch, touched)
                        return
                    continue
                new = uow.recorded()
                if not new and uow.nothing_checked and self._moved_on(item, uow):
                    self._again_afresh(batch, touched)
                    return
                decisions.add(item, result, new)
            recordings = self._store.record(
                decisions.in_order, list(touched.values()), decisions.keeping
            )
        except Exception as failure:
            self.conflicts += 1
            self._store.evict(*touched)
            waiting = [item for item in batch if not item.future.done()]
            if len(waiting) > 1:
                # Most likely another process wrote one of these records first. The members
                # run again on fresh state in halves: one conflict costs two commits, not
                # one per member, so API processes sharing clients do not fall to one at a time.
                half = len(waiting) // 2
                self._commit(waiting[:half])
                self._commit(waiting[half:])
            elif waiting:
                self._fail_alone(waiting[0], failure)
            return
        head = decisions.answer(recordings)
        if head and self._on_commit is not None:
            self._on_commit(head)

    def _moved_on(self, item: _Pending, uow: UnitOfWork) -> bool:
        """Whether a record ``item`` decided on without writing it was written since by
        another process (counted as an attempt, so a record written each time ends it)."""
        if item.attempts < MAX_CONFLICT_RETRIES and self._store.written_since(uow.read()):
            item.attempts += 1
            return True
        return False

    def _again_afresh(self, batch: list[_Pending], touched: dict[UUID, Aggregate]) -> None:
        """The members of ``batch`` not yet answered run again on records loaded afresh,
        nothing of the batch saved. After a command refused once it had recorded (the records
        it touched hold what it recorded, beside what earlier members did), so what it
        recorded is stored nowhere and no later decision reads it. And before answering a
        command refused on a record another process wrote since it was cached here, not yet
        heard of (``cache_freshness.py``): a refusal is saved nowhere, so no version check
        would catch it, and a dose sent to one API process just after another stored the
        receipt of its lot was refused as drawing on a lot holding less."""
        self._store.evict(*touched)
        self._commit([item for item in batch if not item.future.done()])

    def _fail_alone(self, item: _Pending, failure: Exception) -> None:
        if suspended_actor(failure) and not item.future.done():
            item.future.set_exception(suspended_refusal())
            return
        if isinstance(failure, IntegrityError) and item.attempts < MAX_CONFLICT_RETRIES:
            item.attempts += 1
            item.context.run(
                log.info, "command conflicted with a concurrent writer; retrying from the store"
            )
            self._commit([item])
            return
        if item.future.done():
            return
        if isinstance(failure, IntegrityError):
            refusal = _conflicted()
            item.context.run(
                log.warning,
                "command conflicted with concurrent writers on every try; not recorded",
                extra={"code": refusal.code, "rule": refusal.rule, "error": error_code(failure)},
            )
            item.future.set_exception(refusal)
            return
        item.context.run(log.exception, "command failed", exc_info=failure)
        item.future.set_exception(failure)
