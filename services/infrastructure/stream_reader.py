"""Reading the care stream in order whatever its messages' headers say (``carecoord tail``).

The stream keeps a message with the headers it was published with, and anyone who may
publish on the care subjects can send any (deploy/nats.conf keeps outside services from it;
a development broker does not). Two of them stopped nats-py's own ordered consumer:

- A message with an empty body and the status line ``NATS/1.0 100`` reads as the server's
  heartbeat or flow-control request. The ordered consumer handed it to no one and did not
  count it, so at the next message it found one missing and made its consumer again from
  that message, which delivered it again: ``carecoord tail`` printed nothing more, nor did
  any tail started later from before it, and it made thousands of consumers a second on the
  broker.
- A header block that is not UTF-8 (``NATS/1.0 100 \\xff``) raised in the client's read
  loop, which ended: the connection read nothing more, with no error, until its pings went
  unanswered and it reconnected, and the consumer then met the same message again.

Here a consumer's deliveries come on a plain subscription and are told apart as the server
sends them: a message of the stream comes with a ``$JS.ACK.`` reply subject carrying its
sequences, whatever its headers; a heartbeat comes with none and a flow-control request with
a ``$JS.FC.`` one. Each message is handed over once, in stream order: when one is found
missing (the consumer's count skips, a heartbeat names a later one, or heartbeats stop: a
broker restarted, the consumer removed) the consumer is made again after the last message
handed over, or from the first message of a stream made anew meanwhile (its sequences count
from 1 again: after the last one handed over, a tail skipped its first as many). And the
client reads a header block it cannot decode as having no headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import ConnectionClosedError
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy

from carecoord.services.infrastructure.liveness import error_code
from carecoord.services.infrastructure.nats_tls import TlsHeldClient

log = logging.getLogger("carecoord.stream")

HEARTBEAT_SECONDS = 5.0
"""How often the server says a consumer with nothing to deliver is still there."""
MISSED_HEARTBEATS = 3
"""Heartbeat intervals without a word before the consumer is taken for lost and made again."""
BUFFERED = 256
"""Messages received and not yet taken by the reader: past it the subscription waits, and
with it the answer to the server's flow control, so the server waits too."""
RETRY_SECONDS = 1.0
"""The pause before making a lost consumer again, when the broker is away or refuses."""
ACK_PREFIX = "$JS.ACK."
STATUS = "Status"
CONTROL_STATUS = "100"
LAST_CONSUMER = "Nats-Last-Consumer"
STALLED = "Nats-Consumer-Stalled"


class HeaderTolerantClient(TlsHeldClient):
    """A NATS client that reads a header block it cannot decode as having no headers, rather
    than ending its read loop (see the module's note)."""

    async def _process_headers(self, headers: bytes) -> dict[str, str] | None:
        try:
            return await super()._process_headers(headers)
        except (ValueError, IndexError) as unreadable:  # UnicodeDecodeError is a ValueError
            log.warning(
                "message headers unreadable: read as none",
                extra={"code": "HEADERS_UNREADABLE", "error": error_code(unreadable)},
            )
            return None


class OrderedReader:
    """The messages of ``stream`` on ``subject`` from its first (or, ``new_only``, from the
    next one published), each once and in stream order, across lost consumers and
    reconnections; ``start`` makes the first consumer, ``messages`` reads them."""

    def __init__(
        self,
        nc: Client,
        stream: str,
        subject: str,
        *,
        new_only: bool,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._nc = nc
        self._jsm = nc.jsm()
        self._stream = stream
        self._subject = subject
        self._new_only = new_only
        self._heartbeat = heartbeat
        self._queue: asyncio.Queue[Msg] = asyncio.Queue(BUFFERED)
        self._inbox = ""
        """The current consumer's delivery subject; what comes to another is a given-up
        consumer's ("" while the consumer is being made again)."""
        self._sub: Subscription | None = None
        self._consumer: str | None = None
        self._after = 0
        """The stream sequence of the last message received (handed over or queued)."""
        self._expected = 1
        """The current consumer's sequence of the next message."""
        self._heard = 0.0
        self._lost = asyncio.Event()
        self._created: datetime | None = None
        """When the broker made the stream: another time is a stream made anew (removed, or
        its broker's store lost), its sequences counted from 1 again."""
        self.restarts = 0

    @property
    def consumer(self) -> str | None:
        """The name of the broker's consumer it reads from now (None before ``start``), as
        ``nats consumer ls`` lists it."""
        return self._consumer

    async def start(self) -> None:
        """Make the first consumer: NotFoundError when the broker has no such stream,
        BadRequestError when the subject is outside it."""
        self._created = (await self._jsm.stream_info(self._stream)).created
        policy = DeliverPolicy.NEW if self._new_only else DeliverPolicy.ALL
        info = await self._consume(policy)
        if info.delivered is not None:  # NEW: the stream's last message then (the first
            # messages may be received already: never back before them)
            self._after = max(self._after, info.delivered.stream_seq)

    async def messages(self) -> AsyncIterator[Msg]:
        """Each message, in stream order, until the connection is closed for good
        (``ConnectionClosedError``) or the reader is cancelled."""
        watch = asyncio.create_task(self._watch())
        try:
            while True:
                taking = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({taking, watch}, return_when=asyncio.FIRST_COMPLETED)
                if not taking.done():
                    taking.cancel()
                    watch.result()  # raises what ended it
                    return
                yield taking.result()
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await self.stop()

    async def stop(self) -> None:
        """Remove the consumer and its subscription (the broker would in a few seconds)."""
        self._inbox = ""
        await self._forget(self._sub, self._consumer)
        self._sub, self._consumer = None, None

    async def _consume(self, policy: DeliverPolicy, start: int | None = None) -> ConsumerInfo:
        """A new consumer from ``policy`` (at stream sequence ``start``); the one before it,
        if any, given up."""
        inbox = self._nc.new_inbox()

        async def delivered(msg: Msg) -> None:  # a message names its subject, not the inbox
            await self._delivered(inbox, msg)

        sub = await self._nc.subscribe(inbox, cb=delivered)
        self._inbox, self._expected = inbox, 1
        config = ConsumerConfig(
            deliver_subject=inbox,
            filter_subject=self._subject,
            deliver_policy=policy,
            opt_start_seq=start,
            ack_policy=AckPolicy.NONE,
            max_deliver=1,
            flow_control=True,
            idle_heartbeat=self._heartbeat,
            mem_storage=True,
            num_replicas=1,
        )
        try:
            info = await self._jsm.add_consumer(self._stream, config)
        except BaseException:
            self._inbox = ""
            await self._forget(sub, None)
            raise
        gone = self._sub, self._consumer
        self._sub, self._consumer = sub, info.name
        if gone[0] is not None:
            self.restarts += 1
        self._heard = asyncio.get_running_loop().time()
        await self._forget(*gone)
        return info

    async def _forget(self, sub: Subscription | None, consumer: str | None) -> None:
        if sub is not None:
            with contextlib.suppress(NatsError):
                await sub.unsubscribe()
        if consumer is not None and self._nc.is_connected:
            with contextlib.suppress(NatsError, TimeoutError):
                await self._jsm.delete_consumer(self._stream, consumer)

    async def _delivered(self, inbox: str, msg: Msg) -> None:
        """One delivery to ``inbox``, in the order the server sent them."""
        if inbox != self._inbox:
            return  # a consumer given up
        self._heard = asyncio.get_running_loop().time()
        if msg.reply.startswith(ACK_PREFIX):  # a message of the stream, whatever it holds
            sequence = msg.metadata.sequence
            if sequence.consumer != self._expected:  # one went missing on its way
                self._missing()
                return
            self._expected += 1
            self._after = sequence.stream
            await self._queue.put(msg)  # waits while the reader is behind
            return
        sent = msg.headers or {}
        if sent.get(STATUS) != CONTROL_STATUS:
            return
        if msg.reply:  # flow control: answered once what came before it is received
            await self._nc.publish(msg.reply)
            return
        stalled = sent.get(STALLED)  # a heartbeat that says the flow-control answer was lost
        if stalled:
            await self._nc.publish(stalled)
        last = sent.get(LAST_CONSUMER, "")
        if last.isdigit() and int(last) >= self._expected:  # it sent one not received
            self._missing()

    async def _resumed_at(self) -> tuple[DeliverPolicy, int | None]:
        """Where a consumer made again starts: after the last message received, or at the
        first of a stream made anew since, every message of which came after the tail began
        (after the last one received, its first as many were skipped without a word)."""
        created = (await self._jsm.stream_info(self._stream)).created
        if created == self._created:
            return DeliverPolicy.BY_START_SEQUENCE, self._after + 1
        log.warning(
            "the stream was made anew: read from its first message",
            extra={"code": "STREAM_MADE_ANEW", "after": self._after},
        )
        self._created, self._after = created, 0
        return DeliverPolicy.ALL, None

    def _missing(self) -> None:
        self._inbox = ""  # nothing more from this consumer
        self._lost.set()

    async def _watch(self) -> None:
        """Make the consumer again after the last message received when one went missing or
        the consumer went quiet; end when the connection is closed for good."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._heartbeat):
                        await self._lost.wait()
            if self._nc.is_closed:
                raise ConnectionClosedError
            # Not while the reader is behind: the subscription waits on it then, and the
            # consumer it would give up may hold a message on its way to the reader.
            quiet = (
                self._queue.empty()
                and loop.time() - self._heard > MISSED_HEARTBEATS * self._heartbeat
            )
            if not (self._lost.is_set() or quiet):
                continue
            if not self._nc.is_connected:  # reconnecting: try once it is back
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._lost.clear()
            try:
                await self._consume(*await self._resumed_at())
            except (NatsError, TimeoutError) as failure:
                self._lost.set()
                log.warning(
                    "stream consumer not made again; retrying",
                    extra={"code": "CONSUMER_LOST", "error": error_code(failure)},
                )
                await asyncio.sleep(RETRY_SECONDS)
                continue
            log.info(
                "stream consumer made again",
                extra={"after": self._after, "quiet": quiet, "restarts": self.restarts},
            )
