"""Followers of the store's log (the relay, the projection feed) wake when something commits.

A writer in this process rings directly (thread-safe: the command bus commits on its own
thread); writers in other processes are heard through the store's NOTIFY on one LISTEN
connection per process, where this process's own commits ring nothing more. A missed ring
costs at most the idle poll, never an event: a follower reads everything after its own
recorded position whenever it wakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Container
from dataclasses import dataclass

import psycopg
from psycopg import sql

from carecoord.events.catalog import LaterVersion
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure.liveness import Liveness, error_code, keep_running
from carecoord.services.infrastructure.store import EventStore

log = logging.getLogger("carecoord.doorbell")

IDLE_POLL_SECONDS = 1.0
LOOP = "store-listener"


class Doorbell:
    def __init__(
        self, database_url: str, channel: str, *, rung_by: Container[int] = frozenset()
    ) -> None:
        """``rung_by``: the server processes whose commits ring this bell directly (its
        process's command bus's, ``EventStore.own_backends``): their NOTIFY wakes nothing
        more. Each commit of the process woke every follower twice, the second time to read
        nothing."""
        self._database_url = database_url
        self._channel = channel
        self._rung_by = rung_by
        self._waiting: list[asyncio.Event] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def bell(self) -> asyncio.Event:
        """An event set at every ring, for one follower to wait on."""
        self._loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        self._waiting.append(wake)
        return wake

    def unbell(self, wake: asyncio.Event) -> None:
        """``wake`` is no longer waited on (its follower ended)."""
        if wake in self._waiting:
            self._waiting.remove(wake)

    def ring(self, _position: int = 0) -> None:
        """Thread-safe: new events are committed."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._ring)

    def _ring(self) -> None:
        for wake in self._waiting:
            wake.set()

    async def run(self, liveness: Liveness) -> None:
        """Listen for commits of other processes until cancelled."""
        self._loop = asyncio.get_running_loop()
        await keep_running(LOOP, lambda: self._listen(liveness), liveness)

    async def _listen(self, liveness: Liveness) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._database_url, autocommit=True
        ) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            liveness.progressed(LOOP)
            self._ring()  # anything committed while we were not listening
            async for heard in conn.notifies():
                if heard.pid not in self._rung_by:
                    self._ring()


UNDECODABLE = (ValueError, LookupError)
"""What decoding a stored entry raises when it cannot: malformed JSON, a check the event
fails, or a topic the catalog does not hold (a later version's, read after a rollback)."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A stored event that no longer decodes (stored before a check that refuses it now)."""

    position: int
    topic: str
    error: str
    body: bytes = b""
    """The stored JSON of an event of a later schema version than the catalog reads (read
    after a rollback), which the relay forwards as stored (``forwarded.py``); else empty."""


@dataclass(frozen=True, slots=True)
class Page:
    events: list[Positioned]
    unreadable: list[Unreadable]
    last: int
    """The position of the page's last entry, readable or not."""


def read_page(store: EventStore, after: int, limit: int) -> Page:
    """Up to ``limit`` entries after ``after``, each decoded on its own, so one that does
    not decode is set aside by its follower instead of stopping the log for everyone.
    A failure to decrypt is not caught: a wrong key is the operator's to mend, and must
    not set the whole log aside."""
    notifications = store.recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    events: list[Positioned] = []
    unreadable: list[Unreadable] = []
    for note in notifications:
        try:
            events.append(Positioned(note.id, store.catalog_mapper.open(note.topic, note.state)))
        except UNDECODABLE as failure:
            later = isinstance(failure, LaterVersion)
            body = store.catalog_mapper.unseal(note.state) if later else b""
            unreadable.append(Unreadable(note.id, note.topic, error_code(failure), body))
    return Page(events, unreadable, notifications[-1].id if notifications else after)


async def next_page(store: EventStore, wake: asyncio.Event, after: int, limit: int) -> Page:
    """The next entries after ``after`` (at most ``limit``); waits until there are some."""
    while True:
        wake.clear()
        page = await asyncio.to_thread(read_page, store, after, limit)
        if page.last > after:
            return page
        # asyncio.timeout, not wait_for: Python 3.11's wait_for returns the result when the
        # bell rings as the task is cancelled, swallowing the cancel (a stop that never ends).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(IDLE_POLL_SECONDS):
                await wake.wait()
