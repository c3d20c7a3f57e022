"""How far the read models have got, as seen by the API: read-your-writes and live pushes.

The projector announces each committed batch (in-process directly, across processes by
NOTIFY); waiters for a position and open subscriptions wake on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import sql

from carecoord.projections.projector import PROJECTED_CHANNEL
from carecoord.services import positions

log = logging.getLogger("carecoord.progress")

RECONNECT_SECONDS = 1.0


class Progress:
    def __init__(self, database_url: str, name: str) -> None:
        self._database_url = database_url
        self._name = name
        self.position = 0
        self._changed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._database_url) as conn:
            self.advance(await positions.read(conn, self._name))
        self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    def advance(self, position: int) -> None:
        if position > self.position:
            self.position = position
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    async def passed(self, after: int) -> int:
        """Wait until the read model is past ``after``; return where it is."""
        while self.position <= after:
            await self._changed.wait()
        return self.position

    async def reach(self, position: int, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the read model has ``position``."""
        if self.position >= position:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.passed(position - 1), timeout)
        return self.position >= position

    async def _listen(self) -> None:
        prefix = f"{self._name}:"
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._database_url, autocommit=True
                ) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(PROJECTED_CHANNEL)))
                    async for note in conn.notifies():
                        if note.payload.startswith(prefix):
                            self.advance(int(note.payload[len(prefix):]))
            except psycopg.Error as failure:
                log.warning("progress listener reconnecting", extra={"error": repr(failure)})
                await asyncio.sleep(RECONNECT_SECONDS)
