"""The relay: the store's notification log is the outbox, JetStream is where it goes.

It publishes events in log order, each with ``Nats-Msg-Id`` = event id, awaits the
acks of a page together (in runs that fit the NATS client's buffer), then records how far
it got. After a crash or an outage it resumes from what it published, found from its
recorded position on the stream, and the broker's de-duplication drops anything
published twice inside the window: the stream holds every event exactly once. Commands
never publish; only the relay does. An event the broker can never take is set aside
(``services/infrastructure/parked.py``) rather than stopping every event behind it, and so
is one whose id another publisher's message already holds on the stream with other content:
the broker drops it as a duplicate, and the stream would carry that message in its place.
A stored event of a later schema version than the catalog reads (after a rollback) goes as
stored, in its place (``forwarded.py``); one of a type the catalog lacks is set aside.

With tracing on (``tracing.py``), each page and each message is a span, and each message
carries its span's W3C ``traceparent`` header for the services that consume it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeGuard, TypeVar

from faststream.nats import NatsBroker
from nats.aio.client import DEFAULT_PENDING_SIZE
from nats.errors import MaxPayloadError
from nats.js.api import PubAck
from nats.js.errors import BadRequestError, NotFoundError
from psycopg_pool import AsyncConnectionPool

from carecoord.events import CareEvent, catalog, headers
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure import correlation, parked, positions
from carecoord.services.infrastructure.broker import ensure_stream
from carecoord.services.infrastructure.catching_up import CatchingUp
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import Doorbell, Unreadable, next_page, read_page
from carecoord.services.infrastructure.forwarded import Forwarded, forwardable
from carecoord.services.infrastructure.liveness import Liveness, error_code, keep_running
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore

if TYPE_CHECKING:
    from carecoord.services.infrastructure.tracing import Tracing

log = logging.getLogger("carecoord.relay")

NAME = "relay"
POSITION_HEADER = headers.POSITION
TYPE_HEADER = headers.TYPE
TOO_LARGE = frozenset({10054, 10097})
"""JetStream's codes for a message larger than the stream takes: its body, its headers."""
PROBE_PAGE = 16
"""Stored entries read at once while looking for the next one that decodes."""
RUN_BYTES = DEFAULT_PENDING_SIZE // 2
"""Bytes in flight at once: half the NATS client's outbound buffer, room left for other
traffic (``HEADER_BYTES`` a message counts its subject and headers)."""
HEADER_BYTES = 512
RUN_MESSAGES = 500
"""Messages in flight at once: each queues a flush, and past 1,024 queued the client's
publish waits for the flusher in the middle of the run."""


T = TypeVar("T")


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
        # As at start: a stream removed under the running relay failed every publish
        # (NoStreamResponseError) until the process was restarted.
        await ensure_stream(self._broker, self._settings)
        self.position = await self.resume_position()
        async with self._pool.connection() as conn:
            # Recorded at once: /health must not report as lag a page that was published
            # just before a crash cut the position write short.
            await positions.write(conn, NAME, self.position)
        log.info("relay following the log", extra={"position": self.position})
        behind = CatchingUp(NAME, lambda: asyncio.to_thread(self._store.last_position))
        await behind.start(self.position)
        while True:
            page = await next_page(self._store, self._wake, self.position, self._page_size)
            self._liveness.working(NAME)
            with (
                correlation.bound(**correlation.of_events(item.event for item in page.events)),
                self._traced(page.events),
            ):
                unsent = await self.publish(page.events, page.unreadable)
            crash_point("relay-published")
            self.position = page.last
            async with self._pool.connection() as conn, conn.transaction():
                await parked.park_unreadable(conn, NAME, unsent)
                await positions.write(conn, NAME, self.position)
            self._liveness.progressed(NAME)
            read = len(page.events) + len(page.unreadable)
            await behind.moved(self.position, read, full=read >= self._page_size)

    def _traced(self, page: list[Positioned]) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext() if self._tracing is None else self._tracing.publishing(page)

    async def resume_position(self) -> int:
        """The later of the recorded position and the last one published on the stream.

        A page's messages go out on one connection in order, and an event the broker
        refused was set aside (parked) once its page had gone, so the stream holds the
        log's events up to the last one published but those set aside: found by halving
        the positions after the recorded one, each looked up by its subject's last message.
        Walking back from the stream's end took a request per message, and another
        publisher's messages there held every start for as long as they were many.
        """
        async with self._pool.connection() as conn:
            published = await positions.read(conn, NAME)
            set_aside = await parked.positions_after(conn, NAME, published)
        unknown = await asyncio.to_thread(self._store.last_position)
        while published < unknown:
            middle = (published + unknown + 1) // 2
            item = await self._first_event(middle, unknown, set_aside)
            if item is not None and await self._on_stream(item):
                published = item.position
            else:
                unknown = middle - 1
        return published

    async def _first_event(
        self, first: int, last: int, set_aside: frozenset[int] = frozenset()
    ) -> Positioned | None:
        """The first stored event from ``first`` to ``last`` that decodes and was not set
        aside, if any."""
        after = first - 1
        while after < last:
            page = await asyncio.to_thread(read_page, self._store, after, PROBE_PAGE)
            found = next((e for e in page.events if e.position not in set_aside), None)
            if found is not None:
                return found if found.position <= last else None
            if page.last == after:
                return None
            after = page.last
        return None

    async def _on_stream(self, item: Positioned) -> bool:
        """Whether the stream holds ``item`` or a later event: its subject's last message
        is the event the store holds at the message's position (its id and its content),
        and another publisher's message there, forged or malformed, is not taken for it
        (one under a stored event's id moved the relay past events it had not published).
        A message of another publisher last on the subject answers no: the events are
        published again from before it, and the broker's de-duplication drops them."""
        js = self._broker.connection.jetstream()
        subject = catalog.subject(self._settings.subject_root, item.event)
        try:
            msg = await js.get_last_msg(self._settings.stream_name, subject)
        except NotFoundError:
            return False
        sent = msg.headers or {}
        position = self._position_in(sent)
        if position < item.position:
            return False
        if position > item.position:  # a later event of the same subject: the store's?
            later = await self._first_event(position, position)
            if later is None:
                return False
            item = later
        return header_text(sent, headers.MSG_ID) == str(item.event.event_id) and carries(
            msg.data, item.event
        )

    @staticmethod
    def _position_in(sent: dict[str, str]) -> int:
        """The position a message's header names, 0 when it names none."""
        named = header_text(sent, POSITION_HEADER)
        return int(named) if named.isascii() and named.isdigit() and len(named) < 20 else 0

    @property
    def _page_size(self) -> int:
        return self._settings.relay_page_size

    async def publish(
        self, page: list[Positioned], unreadable: Sequence[Unreadable] = ()
    ) -> list[Unreadable]:
        """Publish a page (``send``) and set aside what the broker refused for what it is;
        return the entries of ``unreadable`` it did not send, to be set aside. Those of a
        later schema version go as stored, in position order among the events
        (``forwarded.py``)."""
        forwarded, unsent = forwardable(unreadable)
        refused = await self.send([*page, *forwarded])
        if refused:
            async with self._pool.connection() as conn, conn.transaction():
                for item, code in refused:
                    if isinstance(item, Positioned):
                        await parked.park(conn, NAME, item, code)
                    else:
                        unsent.append(replace(item.stored, error=code))
        if self._on_published is not None:
            set_aside = {id(item) for item, _ in refused}
            self._on_published([item for item in page if id(item) not in set_aside])
        return sorted(unsent, key=lambda entry: entry.position)

    async def send(
        self, items: Sequence[Positioned | Forwarded]
    ) -> list[tuple[Positioned | Forwarded, str]]:
        """Publish ``items`` in position order, in runs, each concurrently (NATS keeps one
        connection's order) with its acks awaited before the next run is sent; return those
        the broker refused for what they are (too large for a message, their id another
        message's), each with its error code. Any other failure raises: the items are
        published again from the first.

        A run fits the NATS client's outbound buffer, so it leaves in one write: past the
        buffer the client flushes in the middle, and a connection lost after that flush
        loses what it wrote and keeps the rest for the reconnect, so the retry put earlier
        events on the stream after later ones.
        """
        sent = sorted(items, key=lambda item: item.position)
        refused: list[tuple[Positioned | Forwarded, str]] = []
        for run in runs((item, _body(item)) for item in sent):
            outcomes = await asyncio.gather(
                *(self._publish(item, body) for item, body in run), return_exceptions=True
            )
            for (item, body), outcome in zip(run, outcomes, strict=True):
                if unpublishable(outcome):
                    refused.append((item, error_code(outcome)))
                elif isinstance(outcome, BaseException):
                    raise outcome
                elif (
                    isinstance(outcome, PubAck)
                    and outcome.duplicate
                    and not await self._holds(outcome.seq, item, body)
                ):
                    refused.append((item, error_code(MessageIdTaken())))
        return refused

    async def _holds(self, seq: int, item: Positioned | Forwarded, body: bytes) -> bool:
        """Whether the message the broker kept under the event's id is the event (a page
        published again after a failure, or by another relay); a message removed since is
        the operator's doing, not a forgery. One forwarded as stored is its stored body."""
        js = self._broker.connection.jetstream()
        try:
            held = await js.get_msg(self._settings.stream_name, seq=seq)
        except NotFoundError:
            return True
        if isinstance(item, Forwarded):
            return held.data == body
        return carries(held.data, item.event)

    async def _publish(self, item: Positioned | Forwarded, body: bytes) -> object:
        if isinstance(item, Forwarded):  # no model of this catalog for a span's attributes
            return await self._send(item.subject(self._settings.subject_root), body, item.headers())
        sent = headers.for_event(item.event, item.position)
        subject = catalog.subject(self._settings.subject_root, item.event)
        if self._tracing is None:
            return await self._send(subject, body, sent)
        with self._tracing.publish(item, sent):  # adds the traceparent
            return await self._send(subject, body, sent)

    async def _send(self, subject: str, body: bytes, sent: dict[str, str]) -> object:
        return await self._broker.publish(
            body,
            subject,
            headers=sent,
            stream=self._settings.stream_name,
            # FastStream's own header, read as the message's: a random one named no request.
            correlation_id=sent[headers.CORRELATION],
        )


def unpublishable(outcome: object) -> TypeGuard[BaseException]:
    """Whether the broker refused the event for what it is (too large), so publishing it
    again would fail again. Its other refusals are the deployment's, mended there and then
    taken: a sealed stream, another stream holding the subject. Read as the event's, they
    set aside every event published meanwhile, which the stream then never held."""
    if isinstance(outcome, BadRequestError):
        return outcome.err_code in TOO_LARGE
    return isinstance(outcome, MaxPayloadError)


def _body(item: Positioned | Forwarded) -> bytes:
    return item.body if isinstance(item, Forwarded) else catalog.encode(item.event)


def runs(page: Iterable[tuple[T, bytes]]) -> Iterator[list[tuple[T, bytes]]]:
    """The page's events and bodies, in order, in runs of at most ``RUN_BYTES`` (each body
    and its ``HEADER_BYTES``; an event larger alone is a run of its own) and
    ``RUN_MESSAGES`` messages."""
    run: list[tuple[T, bytes]] = []
    size = 0
    for item, body in page:
        if run and (size + len(body) + HEADER_BYTES > RUN_BYTES or len(run) == RUN_MESSAGES):
            yield run
            run, size = [], 0
        run.append((item, body))
        size += len(body) + HEADER_BYTES
    if run:
        yield run


def header_text(sent: Mapping[str, object], name: str) -> str:
    """A header of a message read back from the stream, "" when it has none as text.

    nats-py reads a stored message's headers with the standard library's email parser,
    which gives a value holding bytes that are not ASCII as an ``email.header.Header``,
    not a string: such a header, on a message another publisher sent to a care subject,
    failed the relay's every start (``AttributeError``), and no event was published
    again. The relay writes only ASCII headers, so such a value is never one of its own.
    """
    value = sent.get(name, "")
    return value if isinstance(value, str) else ""


def carries(data: bytes | None, event: CareEvent) -> bool:
    """Whether a message's body is ``event``: decoded as its type, so one published at an
    older schema version still counts, and compared field by field."""
    try:
        return catalog.decode(type_name(type(event)), data or b"") == event
    except (ValueError, LookupError):  # malformed, or not this type's: not the event
        return False
