"""The relay: the store's notification log is the outbox, JetStream is where it goes.

It publishes events in log order, each with ``Nats-Msg-Id`` = event id, awaits the
acks of a page together, then records how far it got. After a crash it resumes from
the later of its recorded position and the last position found in the stream, and the
broker's de-duplication drops anything published twice inside the window: the stream
holds every event exactly once. Commands never publish; only the relay does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from faststream.nats import NatsBroker
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import catalog
from carecoord.events.envelope import type_name
from carecoord.services import positions
from carecoord.services.settings import Settings
from carecoord.services.store import EventStore, Positioned

log = logging.getLogger("carecoord.relay")

NAME = "relay"
POSITION_HEADER = "Carecoord-Position"
TYPE_HEADER = "Carecoord-Type"
IDLE_POLL_SECONDS = 1.0
RETRY_SECONDS = 1.0


class Relay:
    def __init__(
        self,
        store: EventStore,
        broker: NatsBroker,
        pool: AsyncConnectionPool,
        settings: Settings,
        database_url: str,
    ) -> None:
        self._store = store
        self._broker = broker
        self._pool = pool
        self._settings = settings
        self._database_url = database_url
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.position = 0

    def notify_commit(self, _position: int) -> None:
        """Thread-safe nudge from an in-process writer: new events are committed."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Follow the log forever; on a failure, log it and resume from the recorded position."""
        self._loop = asyncio.get_running_loop()
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                try:
                    await self._follow()
                except (OSError, psycopg.Error, TimeoutError) as failure:
                    log.warning("relay interrupted; resuming", extra={"error": repr(failure)})
                    await asyncio.sleep(RETRY_SECONDS)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _follow(self) -> None:
        self.position = await self.resume_position()
        log.info("relay following the log", extra={"position": self.position})
        while True:
            self._wake.clear()
            page = await asyncio.to_thread(
                self._store.read, self.position, self._settings.relay_page_size
            )
            if not page:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
                continue
            await self.publish(page)
            self.position = page[-1].position
            async with self._pool.connection() as conn:
                await positions.write(conn, NAME, self.position)

    async def publish(self, page: list[Positioned]) -> None:
        """Publish a page concurrently (NATS keeps one connection's order) and await the acks."""
        root, stream = self._settings.subject_root, self._settings.stream_name
        await asyncio.gather(
            *(
                self._broker.publish(
                    catalog.encode(item.event),
                    catalog.subject(root, item.event),
                    headers={
                        "Nats-Msg-Id": str(item.event.event_id),
                        POSITION_HEADER: str(item.position),
                        TYPE_HEADER: type_name(type(item.event)),
                        "content-type": "application/json",
                    },
                    stream=stream,
                )
                for item in page
            )
        )

    async def resume_position(self) -> int:
        async with self._pool.connection() as conn:
            recorded = await positions.read(conn, NAME)
        return max(recorded, await self.last_published_position())

    async def last_published_position(self) -> int:
        js = self._broker.connection.jetstream()
        info = await js.stream_info(self._settings.stream_name)
        if not info.state.messages:
            return 0
        last = await js.get_msg(self._settings.stream_name, seq=info.state.last_seq)
        return int((last.headers or {}).get(POSITION_HEADER, 0))

    async def _listen(self) -> None:
        """Wake on the store's NOTIFY, so writers in other processes are relayed promptly."""
        channel = sql.Identifier(self._store.channel)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._database_url, autocommit=True
                ) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(channel))
                    async for _ in conn.notifies():
                        self._wake.set()
            except psycopg.Error as failure:
                log.warning("relay listener reconnecting", extra={"error": repr(failure)})
                await asyncio.sleep(RETRY_SECONDS)
