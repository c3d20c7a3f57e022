"""An example downstream service: the program census (clients in treatment per program and
level of care: a discharge takes a client out, a readmission puts them back at no level
until their next; a discharge marked entered in error puts the client back where they were
counted, a readmission marked so takes them out again), kept from the care stream. It is
what a team outside carecoord writes against the event contract (``docs/events.md``); run
it with ``python -m carecoord.examples.census``.

- **Durable.** One JetStream pull consumer named ``DURABLE`` on ``care.care.>``. Created
  the first time with deliver policy ALL, so a new service replays the stream from its
  first message and then follows live; after a restart it resumes after the last message
  it acknowledged.
- **In order.** Messages are handled one at a time (a pull of one), each acknowledged
  after it is applied; one that fails is refused (NAK) and delivered again before the
  next. At most one is unacknowledged (``max_ack_pending=1``), so even one whose handler
  died without an answer (a crash) comes back, after the consumer's ack wait, before any
  after it. The census sees the stream's order, which for each client is the order its
  events were recorded, but for a late event.
- **Idempotent.** It remembers the positions applied (``Carecoord-Position``) and skips a
  message at one of them, so a redelivery (a lost ack, a consumer created again) changes
  nothing. A real service keeps them (or the event ids) as a unique key of its rows,
  written in the same transaction.
- **Late events.** An event the relay set aside and the operator published again comes
  after events of later positions (docs/events.md, "Late events"): not applied before, it
  is applied in its place, its client counted again from their events in position order.
  Skipped as a repeat for being below the last position, a late enrolment was lost for
  good, and its client's level of care, arriving first, was refused and delivered again
  for ever, holding every event behind it.
- **Typed.** The catalog decodes each body (``catalog.decode`` upcasts an older schema
  version; a newer version than it knows is refused until the service is upgraded); the
  handler of the types it counts (``COUNTED``) takes their event models. Types it does not
  count, including types newer than its copy of the catalog, only move the position on.
- **Not an event.** A message on the care subjects not as the relay sends an event (its
  headers, subject and body's envelope agreeing: ``not_an_event``) is acknowledged and
  logged by its stream sequence (``MESSAGE_UNREADABLE``), never its content. One with a
  ``Status`` header never reaches a handler: nats-py's pull takes it for the server's own
  word and drops it, unacknowledged, and the consumer, one message in flight, would wait on
  it for good. The broker's watch (``stuck``) finds it as the consumer's message in flight
  and terminates it by its stream sequence.
- **Its own user.** In a deployment it runs as a NATS user pinned to its consumer, whose
  replies come under an inbox prefix of its own (``NATS_INBOX_PREFIX``, docs/events.md,
  "In a deployment"): the pull's replies on the default ``_INBOX.`` were refused.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import NoReturn
from uuid import UUID

from faststream import AckPolicy, FastStream, Header
from faststream.exceptions import AckMessage
from faststream.nats import JStream, NatsBroker, NatsRouter, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.api import Header as NatsHeader
from pydantic_core import from_json

from carecoord.events import CareEvent, ClientEnrolled, catalog, headers
from carecoord.events.care import (
    ClientDischarged,
    ClientReadmitted,
    DischargeEnteredInError,
    LevelOfCare,
    LevelOfCareChanged,
    ReadmissionEnteredInError,
)
from carecoord.events.catalog import LaterVersion
from carecoord.events.envelope import type_name

log = logging.getLogger("census")

DURABLE = "census"
FETCH_SECONDS = 1.0
"""How long one pull waits for a message before asking again."""
POSITION_DIGITS = 19
"""A store position is a PostgreSQL bigint."""
COUNTED = (
    ClientEnrolled,
    ClientReadmitted,
    ClientDischarged,
    DischargeEnteredInError,
    ReadmissionEnteredInError,
    LevelOfCareChanged,
)
"""The types that move the census; every other type moves only its position."""
WATCH_SECONDS = 1.0
"""How often the consumer's message in flight is looked at (``stuck``)."""


@dataclass
class Census:
    """Clients by program and level of care, and the stream positions applied."""

    position: int = 0
    """The highest position applied."""
    programs: dict[UUID, str] = field(default_factory=dict)
    levels: dict[UUID, LevelOfCare | None] = field(default_factory=dict)
    counted: dict[UUID, list[tuple[str, LevelOfCare | None]]] = field(default_factory=dict)
    """Where each client was counted before each of their discharges, the latest last: what
    a discharge marked entered in error puts back."""
    seen: set[int] = field(default_factory=set)
    """Every position applied or passed over: a late event is below ``position`` and not
    here, a repeated one is here."""
    history: dict[UUID, list[tuple[int, CareEvent]]] = field(default_factory=dict)
    """Each client's events applied, in position order: a late one is applied in its place."""
    applied: list[tuple[int, CareEvent]] = field(default_factory=list)
    """What was applied, in order (kept for the example's test; a service would not)."""
    skipped: int = 0

    def fresh(self, position: int) -> bool:
        """Whether ``position`` is new; a repeated one is counted and skipped."""
        if position in self.seen:
            self.skipped += 1
            log.info(
                "skipped a repeated event at position %d", position, extra={"position": position}
            )
            return False
        self.seen.add(position)
        return True

    def pass_over(self, position: int) -> None:
        """An event this census does not count: only the position moves."""
        if self.fresh(position):
            self.position = max(self.position, position)

    def apply(self, position: int, event: CareEvent) -> None:
        """Apply ``event``, one of ``COUNTED``, once. One below the highest position applied
        and not applied before is late (set aside by the relay, published again by the
        operator: docs/events.md): its client is counted again from their events in position
        order, where skipping it as a repeat lost it for good."""
        if not self.fresh(position):
            return
        history = self.history.setdefault(event.client_id, [])
        if position > self.position:
            history.append((position, event))
            self._step(event)
            self.position = position
        else:
            bisect.insort(history, (position, event), key=lambda entry: entry[0])
            self._recount(event.client_id)
            log.info("applied a late event at position %d", position, extra={"position": position})
        self.applied.append((position, event))
        log.info("census at position %d: %s", position, dict(self.by_level()))

    def _recount(self, client: UUID) -> None:
        self.programs.pop(client, None)
        self.levels.pop(client, None)
        self.counted.pop(client, None)
        for _, event in self.history[client]:
            self._step(event)

    def _step(self, event: CareEvent) -> None:
        """What ``event`` changes, its client's earlier events applied."""
        client = event.client_id
        if isinstance(event, ClientEnrolled | ClientReadmitted):
            self.programs[client] = event.program
            self.levels[client] = None
        elif isinstance(event, ClientDischarged):
            program = self.programs.pop(client, None)
            level = self.levels.pop(client, None)
            if program is not None:
                self.counted.setdefault(client, []).append((program, level))
        elif isinstance(event, DischargeEnteredInError):  # the episode goes on, as counted
            before = self.counted.get(client)
            if before:
                self.programs[client], self.levels[client] = before.pop()
        elif isinstance(event, ReadmissionEnteredInError):  # out again, from the discharge
            self.programs.pop(client, None)
            self.levels.pop(client, None)
        elif isinstance(event, LevelOfCareChanged) and client in self.programs:
            # Of a client not counted (discharged, or their enrolment late) it moves nothing
            # now; a late enrolment, applied in its place, counts it then.
            self.levels[client] = event.level

    def by_level(self) -> Counter[tuple[str, str]]:
        """How many clients each program has at each level (``unknown`` before the first)."""
        return Counter(
            (program, (self.levels[client] or "unknown"))
            for client, program in self.programs.items()
        )


def of_type(*classes: type[CareEvent]) -> Callable[[NatsMessage], bool]:
    """A handler filter: the message's ``Carecoord-Type`` header names one of ``classes``."""
    names = {type_name(cls) for cls in classes}
    return lambda message: message.headers.get(headers.TYPE) in names


class NewerThanCatalog(RuntimeError):
    """A payload of a schema version this copy of the catalog does not know yet."""


async def decode(message: NatsMessage) -> CareEvent:
    """The body as its catalog model, upcast to the current schema version.

    A version newer than the catalog's is refused rather than read with an older model
    (it is delivered again until the service runs a catalog that knows it). A body that is
    not its type's (another publisher's) is skipped (``skip``).
    """
    name = message.headers[headers.TYPE]
    try:
        return catalog.decode(name, message.body)
    except LaterVersion:
        sent = json.loads(message.body)["schema_version"]
        known = catalog.event_class(name).version
        raise NewerThanCatalog(
            f"{name} v{sent} arrived; this catalog knows v{known}: upgrade"
        ) from None
    except ValueError:
        skip(message)


def not_an_event(subject_root: str) -> Callable[[NatsMessage], bool]:
    """A handler filter: a message not as the relay sends an event. Its position is a store
    position in decimal (a bigint's 19 digits at most), and its body a JSON object whose
    ``type``, ``event_id`` and ``client_id`` are its ``Carecoord-Type``, its ``Nats-Msg-Id``
    and its subject's. Its headers alone were trusted: an empty body of an unknown type at
    position 999999999999 moved the census past every event after it, and a position of
    5,000 digits (no int to the handler) or a bare body of schema version 99 (newer than the
    catalog) was refused and delivered again for ever."""

    def unreadable(message: NatsMessage) -> bool:
        sent = message.headers
        name, position = sent.get(headers.TYPE, ""), sent.get(headers.POSITION, "")
        if not (position.isascii() and position.isdigit() and len(position) <= POSITION_DIGITS):
            return True
        try:
            body = from_json(message.body)  # json.loads: RecursionError on [[[[...
        except ValueError:  # not JSON, not UTF-8, nested too deep
            return True
        return not (
            isinstance(body, dict)
            and body.get("type") == name
            and body.get("event_id") == sent.get(headers.MSG_ID)
            and message.raw_message.subject == f"{subject_root}.{name}.{body.get('client_id')}"
        )

    return unreadable


def skip(message: NatsMessage) -> NoReturn:
    """Acknowledge a message that is not an event, logged by its stream sequence, never its
    content: refused, another publisher's message on the care subjects came back at once,
    for ever, and nothing after it was applied."""
    log_unreadable(message.raw_message.metadata.sequence.stream)
    raise AckMessage


def log_unreadable(stream_sequence: int) -> None:
    """The code and the sequence are in the line itself: ``main``'s plain logging shows no
    ``extra``, and the line said only that a message was skipped, not which."""
    code = "MESSAGE_UNREADABLE"
    log.warning(
        "%s: message at stream sequence %d skipped, it is not an event",
        code,
        stream_sequence,
        extra={"stream_sequence": stream_sequence, "code": code},
    )


async def stuck(nc: Client, stream: str, durable: str) -> None:
    """Terminate the consumer's message in flight if a pull never hands it over.

    nats-py's pull takes a delivered message with a ``Status`` header (``100``, ``404``, …)
    for the server's own word about the pull and drops it; nothing acknowledges it, and with
    one message in flight the consumer delivers nothing else, for ever. The message in
    flight is the last one delivered (one at most, ``max_ack_pending=1``): read from the
    stream by its sequence, it is looked at as the client reads a delivery's headers, and
    one the pull drops is terminated through the consumer's acknowledgement subject
    (``$JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<consumer seq>.<time>.
    <pending>``), the server's way of taking it off.
    """
    js = nc.jetstream()
    info = await js.consumer_info(stream, durable)
    if not info.num_ack_pending or info.delivered is None:
        return
    sequence, delivery = info.delivered.stream_seq, info.delivered.consumer_seq
    held = await js.get_msg(stream, sequence)
    # The client's own reading of a header block (the pull reads a delivery's with it).
    read = await nc._process_headers(base64.b64decode(held.hdrs or b""))
    if not (read or {}).get(NatsHeader.STATUS):
        return
    ack = f"$JS.ACK.{stream}.{durable}.1.{sequence}.{delivery}.0.0"
    await nc.request(ack, b"+TERM", timeout=WATCH_SECONDS)
    log_unreadable(sequence)


async def watch(nc: Client, stream: str, durable: str) -> None:
    """``stuck`` every ``WATCH_SECONDS`` while the service runs."""
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        try:
            await stuck(nc, stream, durable)
        except (NatsError, TimeoutError) as failure:  # the broker away: look again later
            error = type(failure).__name__
            log.warning("consumer not looked at: %s", error, extra={"error": error})


def router(
    census: Census,
    *,
    subject_root: str = "care",
    stream: str = "CARE",
    durable: str = DURABLE,
    inbox_prefix: str = "_INBOX",
) -> NatsRouter:
    """The census's subscriber: one ordered durable consumer, one typed handler per type."""
    routes = NatsRouter()
    subscriber = routes.subscriber(
        f"{subject_root}.care.>",
        inbox_prefix=f"{inbox_prefix}.".encode(),  # the pulls' replies: the user's own inboxes
        stream=JStream(stream, declare=False),  # carecoord owns the stream
        durable=durable,
        deliver_policy=DeliverPolicy.ALL,  # a new consumer starts at the first message
        pull_sub=PullSub(batch_size=1, timeout=FETCH_SECONDS),
        config=ConsumerConfig(max_ack_pending=1),
        ack_policy=AckPolicy.NACK_ON_ERROR,  # acknowledged once handled; else delivered again
    )

    @subscriber(filter=not_an_event(subject_root))  # first: no handler below can take it
    async def unreadable(message: NatsMessage) -> None:
        skip(message)

    @subscriber(filter=of_type(*COUNTED), decoder=decode)
    async def counted(event: CareEvent, position: int = Header(headers.POSITION)) -> None:
        census.apply(position, event)

    @subscriber  # last: any other type, including ones this catalog does not know yet
    async def other(position: int = Header(headers.POSITION)) -> None:
        census.pass_over(position)

    return routes


class Service(NatsBroker):
    """A broker carrying the census's subscriber, which watches its consumer while it runs
    (``stuck``)."""

    def __init__(
        self,
        nats_url: str,
        census: Census,
        *,
        subject_root: str = "care",
        stream: str = "CARE",
        durable: str = DURABLE,
        inbox_prefix: str = "_INBOX",
    ) -> None:
        super().__init__(nats_url, inbox_prefix=inbox_prefix)
        self.include_router(
            router(
                census,
                subject_root=subject_root,
                stream=stream,
                durable=durable,
                inbox_prefix=inbox_prefix,
            )
        )
        self._consumer = stream, durable
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._watch = asyncio.create_task(watch(self.connection, *self._consumer))

    async def stop(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await super().stop(exc_type, exc_val, exc_tb)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    census = Census()
    broker = Service(
        os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
        census,
        subject_root=os.environ.get("CARECOORD_SUBJECT_ROOT", "care"),
        stream=os.environ.get("CARECOORD_STREAM_NAME", "CARE"),
        inbox_prefix=os.environ.get("NATS_INBOX_PREFIX", "_INBOX"),
    )
    asyncio.run(FastStream(broker).run())


if __name__ == "__main__":
    main()
