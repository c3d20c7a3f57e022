"""Worker processes that turn a rebuild's pages of stored events into COPY data.

Decoding an event and building and formatting its rows is all Python: in the process that
also read the store and fed the database it was nine tenths of a rebuild. Here pages go to
worker processes in turn, and what comes back is the binary COPY data of each table, which
the rebuild only has to pass on. The workers are forked, so they start at once with the
catalog's validators built and the read models' row functions (lambdas) as they are.

A worker that dies (killed, out of memory) is watched for here, not left to the executor:
one killed while writing its result holds the result queue's lock and leaves half a
message in its pipe, so its siblings wait for the lock and the executor for the rest of
the message, for ever. Its death kills the others and closes this process's writer of the
pipe, which ends both waits, and the pages in flight fail with ``WorkerLost``. Workers die
with the rebuild, however it ends.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

import psycopg
from psycopg import postgres, pq
from psycopg._copy_base import format_row_binary
from psycopg.abc import Transformer
from psycopg.adapt import AdaptersMap, Dumper
from psycopg.adapt import Transformer as Transforming

from carecoord.events import catalog
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import Copied
from carecoord.services.infrastructure.children import die_with_parent
from carecoord.services.infrastructure.doorbell import UNDECODABLE, Unreadable
from carecoord.services.infrastructure.liveness import error_code

Stored = tuple[int, str, bytes]
"""A stored event as a rebuild reads it: its position, its catalog name and its payload
(unsealed)."""

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
"""What binary COPY data begins with: the signature, no flags, no header extension."""
TRAILER = b"\xff\xff"
"""What it ends with."""

Formatted = tuple[list[bytes], list[Unreadable]]
"""A page's COPY data, one block per table, and its entries that do not decode."""


@dataclass(frozen=True)
class Format:
    """A table filled by COPY: how its rows are made, its columns' types (oids), and the
    catalog names of the events its rows come from (``None``: every event)."""

    copied: Copied
    types: Sequence[int]
    topics: frozenset[str] | None


class WorkerLost(RuntimeError):
    """A worker process died in the middle of a rebuild (killed, out of memory)."""

    def __init__(self) -> None:
        super().__init__(
            "a rebuild worker process died (killed, or out of memory); nothing was switched"
            " and the live read models are as they were: run the rebuild again"
        )


class Workers:
    """``processes`` forked workers that format pages for ``formats``, in that order."""

    def __init__(self, formats: Sequence[Format], processes: int) -> None:
        self._pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start,
            initargs=(formats, die_with_parent(signal.SIGKILL)),
        )
        self._watched: list[BaseProcess] = []

    async def __aenter__(self) -> Workers:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._unwatch()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def format(self, page: list[Stored]) -> asyncio.Future[Formatted]:
        """The COPY data of ``page``'s rows, one block per table (no signature, no trailer),
        and the entries set aside."""
        loop = asyncio.get_running_loop()
        try:
            blocks = loop.run_in_executor(self._pool, _format, page)
        except BrokenProcessPool as lost:  # a worker died before this page was handed over
            raise WorkerLost from lost
        if not self._watched:  # the first page forked every worker
            self._watched = list(self._pool._processes.values())
            for process in self._watched:
                loop.add_reader(process.sentinel, self._lost)
        return blocks

    def _lost(self) -> None:
        """A worker has died: the others are killed, so nothing waits on its lock, and this
        process's end of the result pipe is closed. A result the dead worker had half written
        held the executor's reader for the rest of it, for ever (this process kept a writer
        open); with no writer left, the reader meets the pipe's end instead and fails the
        pages in flight."""
        for process in self._unwatch():
            process.kill()
        results: Any = self._pool._result_queue
        results._writer.close()

    def _unwatch(self) -> list[BaseProcess]:
        watched, self._watched = self._watched, []
        loop = asyncio.get_running_loop()
        for process in watched:
            loop.remove_reader(process.sentinel)
        return watched

    @staticmethod
    async def formatted(blocks: asyncio.Future[Formatted]) -> Formatted:
        """What ``format`` gave, or ``WorkerLost`` if its worker died."""
        try:
            return await blocks
        except BrokenProcessPool as lost:
            raise WorkerLost from lost


_formats: list[tuple[Format, Transformer]] = []
"""A worker's tables, each with the transformer that dumps its columns."""


def _start(formats: Sequence[Format], die_with_us: Callable[[], None] | None) -> None:
    # Forked from a process whose event loop handles SIGTERM and SIGINT by writing to its
    # wakeup descriptor: here no loop reads it, so a worker ignored the executor's
    # terminate() after another worker died, and the rebuild hung at exit. Default
    # handling here; an interrupt is the parent's to act on.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if die_with_us is not None:
        die_with_us()
    # A page's objects hold no cycles and go with it: the collector only walked them, again
    # and again, while they lived (half the time of a decode).
    gc.disable()
    adapters = AdaptersMap(psycopg.adapters)
    adapters.register_dumper(None, JsonText)
    for one in formats:
        tx = Transforming(adapters)
        tx.set_dumper_types(one.types, pq.Format.BINARY)
        _formats.append((one, tx))


def decoded(page: list[Stored]) -> tuple[list[tuple[str, Positioned]], list[Unreadable]]:
    """The events of ``page`` with their catalog names, and its entries that do not decode,
    set aside as the live followers set them aside (``doorbell.read_page``): one such entry
    must not stop a rebuild of every client's record."""
    events: list[tuple[str, Positioned]] = []
    unreadable: list[Unreadable] = []
    for position, topic, data in page:
        try:
            events.append((topic, Positioned(position, catalog.decode(topic, data))))
        except UNDECODABLE as failure:
            unreadable.append(Unreadable(position, topic, error_code(failure)))
    return events, unreadable


def _format(page: list[Stored]) -> Formatted:
    named, unreadable = decoded(page)
    events = [e for _, e in named]
    blocks = []
    for one, tx in _formats:
        mine = events
        if one.topics is not None:
            mine = [e for topic, e in named if topic in one.topics]
        block = bytearray()
        for row in one.copied.rows(mine):
            format_row_binary(row, tx, block)
        blocks.append(bytes(block))
    return blocks, unreadable


class JsonText(Dumper):
    """jsonb from text that is JSON already (the rows' ``model_dump_json``), in COPY's binary
    format: a version byte, then the text. psycopg's own would encode the text as a string."""

    format = pq.Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + str(obj).encode()
