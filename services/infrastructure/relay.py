"""The relay: the store's notification log is the outbox, JetStream is where it goes.

It publishes events in log order, each with ``Nats-Msg-Id`` = event id, awaits the
acks of a page together, then records how far it got. After a crash or an outage it
resumes from its recorded position, and the broker's de-duplication drops anything
published twice inside the window: the stream holds every event exactly once. Commands
never publish; only the relay does. An event the broker can never take is set aside
(``services/infrastructure/parked.py``) rather than stopping every event behind it, and so
is one whose id another publisher's message already holds on the stream with other content:
the broker drops it as a duplicate, and the stream would carry that message in its place.

With tracing on (``tracing.py``), each page and each message is a span, and each message
carries its span's W3C ``traceparent`` header for the services that consume it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from faststream.nats import NatsBroker
from nats.errors import MaxPayloadError
from nats.js.api import PubAck
from nats.js.errors import BadRequestError, NotFoundError
from psycopg_pool import AsyncConnectionPool

from carecoord.events import CareEvent, catalog, headers
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure import correlation, parked, positions
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import Doorbell, next_page, read_page
from carecoord.services.infrastructure.liveness import Liveness, error_code, keep_running
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore

if TYPE_CHECKING:
    from carecoord.services.infrastructure.tracing import Tracing

log = logging.getLogger("carecoord.relay")

NAME = "relay"
POSITION_HEADER = headers.POSITION
TYPE_HEADER = headers.TYPE
# The broker refuses these for what the event is, not for the moment: publishing again
# would fail again.
UNPUBLISHABLE = (MaxPayloadError, BadRequestError)


class MessageIdTaken(Exception):
    """The stream holds another message under the event's id: its publish was dropped."""


class Relay:
    def __init__(
        self,
        store: EventStore,
        broker: NatsBroker,
        pool: AsyncConnectionPool,
        settings: Settings,
        doorbell: Doorbell,
        liveness: Liveness,
        on_published: Callable[[list[Positioned]], None] | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._tracing = tracing
        self._on_published = on_published
        """Told the events of each page the broker took (metrics)."""
        self._store = store
        self._broker = broker
        self._pool = pool
        self._settings = settings
        self._wake = doorbell.bell()
        self._liveness = liveness
        self.position = 0

    async def run(self) -> None:
        """Follow the log until cancelled; after a failure, resume from the recorded position."""
        await keep_running(NAME, self._follow, self._liveness)

    async def _follow(self) -> None:
        self.position = await self.resume_position()
        async with self._pool.connection() as conn:
            # Recorded at once: /health must not report as lag a page that was published
            # just before a crash cut the position write short.
            await positions.write(conn, NAME, self.position)
        log.info("relay following the log", extra={"position": self.position})
        while True:
            page = await next_page(self._store, self._wake, self.position, self._page_size)
            with (
                correlation.bound(**correlation.of_events(item.event for item in page.events)),
                self._traced(page.events),
            ):
                await self.publish(page.events)
            crash_point("relay-published")
            self.position = page.last
            async with self._pool.connection() as conn, conn.transaction():
                await parked.park_unreadable(conn, NAME, page.unreadable)
                await positions.write(conn, NAME, self.position)
            self._liveness.progressed(NAME)

    def _traced(self, page: list[Positioned]) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext() if self._tracing is None else self._tracing.publishing(page)

    async def resume_position(self) -> int:
        """The later of the recorded position and the last one in the stream.

        The stream's last message is the end of the last page the broker took: a page's
        messages go out on one connection in order, and an event the broker refused for
        what it is was set aside, so nothing before it is missing.
        """
        async with self._pool.connection() as conn:
            recorded = await positions.read(conn, NAME)
        return max(recorded, await self.last_published_position())

    async def last_published_position(self) -> int:
        """The position of the stream's last message that the store vouches for.

        Anything else on the care subjects (another publisher's message, a malformed or
        forged position) is walked past: trusted, it stopped the relay at every start or
        moved it past events it had never published.
        """
        js = self._broker.connection.jetstream()
        info = await js.stream_info(self._settings.stream_name)
        if not info.state.messages:
            return 0
        head = await asyncio.to_thread(self._store.last_position)
        for seq in range(info.state.last_seq, info.state.first_seq - 1, -1):
            try:
                msg = await js.get_msg(self._settings.stream_name, seq=seq)
            except NotFoundError:  # deleted from the middle of the stream
                continue
            position = await self._published_position(msg.headers or {}, msg.data, head)
            if position is not None:
                return position
        return 0

    async def _published_position(
        self, sent: dict[str, str], data: bytes | None, head: int
    ) -> int | None:
        """The message's position if it is the event the store holds there (its id and its
        content), else None: one forged with a stored event's id and position moved the
        relay past the events before it that it had not published."""
        try:
            position = int(sent.get(POSITION_HEADER, ""))
        except ValueError:
            return None
        if not 0 < position <= head:
            return None
        page = await asyncio.to_thread(read_page, self._store, position - 1, 1)
        stored = page.events[0] if page.events else None
        if stored is None or stored.position != position:
            return None
        if str(stored.event.event_id) != sent.get(headers.MSG_ID):
            return None
        return position if carries(data, stored.event) else None

    @property
    def _page_size(self) -> int:
        return self._settings.relay_page_size

    async def publish(self, page: list[Positioned]) -> None:
        """Publish a page concurrently (NATS keeps one connection's order) and await the acks.

        An event the broker refuses for what it is (too large for a message) is set aside;
        any other failure fails the page, which is published again from its start.
        """
        outcomes = await asyncio.gather(
            *(self._publish(item) for item in page), return_exceptions=True
        )
        refused: list[tuple[Positioned, BaseException]] = []
        for item, outcome in zip(page, outcomes, strict=True):
            if isinstance(outcome, UNPUBLISHABLE):
                refused.append((item, outcome))
            elif isinstance(outcome, BaseException):
                raise outcome
            elif (
                isinstance(outcome, PubAck)
                and outcome.duplicate
                and not await self._holds(outcome.seq, item.event)
            ):
                refused.append((item, MessageIdTaken()))
        if refused:
            async with self._pool.connection() as conn, conn.transaction():
                for item, failure in refused:
                    await parked.park(conn, NAME, item, error_code(failure))
        if self._on_published is not None:
            set_aside = {id(item) for item, _ in refused}
            self._on_published([item for item in page if id(item) not in set_aside])

    async def _holds(self, seq: int, event: CareEvent) -> bool:
        """Whether the message the broker kept under the event's id is the event (a page
        published again after a failure, or by another relay); a message removed since is
        the operator's doing, not a forgery."""
        js = self._broker.connection.jetstream()
        try:
            held = await js.get_msg(self._settings.stream_name, seq=seq)
        except NotFoundError:
            return True
        return carries(held.data, event)

    async def _publish(self, item: Positioned) -> object:
        sent = headers.for_event(item.event, item.position)
        if self._tracing is None:
            return await self._send(item, sent)
        with self._tracing.publish(item, sent):  # adds the traceparent
            return await self._send(item, sent)

    async def _send(self, item: Positioned, sent: dict[str, str]) -> object:
        return await self._broker.publish(
            catalog.encode(item.event),
            catalog.subject(self._settings.subject_root, item.event),
            headers=sent,
            stream=self._settings.stream_name,
        )


def carries(data: bytes | None, event: CareEvent) -> bool:
    """Whether a message's body is ``event``: decoded as its type, so one published at an
    older schema version still counts, and compared field by field."""
    try:
        return catalog.decode(type_name(type(event)), data or b"") == event
    except (ValueError, LookupError):  # malformed, or not this type's: not the event
        return False
