"""Cached aggregates kept fresh across processes: what another writer stored is heard here.

Each process caches the aggregates its command bus decides on. With several API processes
writing the same clients, a cached aggregate another process has written since is stale,
and a batch decided on it fails on save and runs again (``commands.py``): with two API
processes most batches did, and CPU per command tripled. So every process listens on the
store's NOTIFY channel and, at each commit anywhere, reads the new rows' aggregate ids and
versions (no bodies) and tells the store (``EventStore.advanced``); the stale cached
aggregates then read the events they lack before the writer's next batch, all in one
statement (``EventStore.catch_up``). A conflict is left
only where two processes decide on one client at the same moment, which the bus's rerun
still settles.

The rows are read after the last position seen, so a missed or coalesced NOTIFY costs at
most the idle poll, never a stale decision: the save's version check stays the guard. A
NOTIFY from a connection this process stored on is its own commit and wakes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from carecoord.services.infrastructure.liveness import Liveness, keep_running
from carecoord.services.infrastructure.store import EventStore

log = logging.getLogger("carecoord.cache_freshness")

LOOP = "cache-freshness"
IDLE_POLL_SECONDS = 1.0
PAGE = 1000


class CacheFreshness:
    def __init__(self, store: EventStore, database_url: str) -> None:
        self._store = store
        self._database_url = database_url
        self.seen = store.last_position()
        """The last position whose write the store has been told of; what came before
        this process started is read by its first loads."""
        recorder = store.recorder
        self._listen = sql.SQL("LISTEN {}").format(sql.Identifier(store.channel))
        self._rows = sql.SQL(
            "SELECT notification_id, originator_id, originator_version FROM {}.{}"
            " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(
            sql.Identifier(recorder.datastore.schema),  # type: ignore[attr-defined]
            sql.Identifier(recorder.events_table_name),  # type: ignore[attr-defined]
        )

    async def run(self, liveness: Liveness) -> None:
        """Listen until cancelled, reconnecting after a failure."""
        await keep_running(LOOP, lambda: self._follow(liveness), liveness)

    async def _follow(self, liveness: Liveness) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._database_url, autocommit=True
        ) as conn:
            await conn.execute(self._listen)
            while True:
                await self.catch_up(conn)  # also what committed while no one listened
                liveness.progressed(LOOP)
                await self._another_commit(conn)

    async def _another_commit(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Until another process commits, or the idle poll is due. This process's own
        commits are not read: what it stored, it cached as it stored it, and reading after
        each of them cost every batch a query."""
        own = self._store.own_backends
        loop = asyncio.get_running_loop()
        due = loop.time() + IDLE_POLL_SECONDS
        while (left := due - loop.time()) > 0:
            heard = [n.pid async for n in conn.notifies(timeout=left, stop_after=1)]
            if not heard or heard[0] not in own:
                return

    async def catch_up(self, conn: psycopg.AsyncConnection[tuple[int, UUID, int]]) -> None:
        """Tell the store of every row stored after ``seen``."""
        while True:
            cursor = await conn.execute(self._rows, (self.seen, PAGE), prepare=True)
            rows = await cursor.fetchall()
            for position, aggregate_id, version in rows:
                self._store.advanced(aggregate_id, version)
                self.seen = position
            if len(rows) < PAGE:
                return
