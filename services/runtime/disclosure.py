"""Forwarding to an outside recipient: the care stream, filtered by the client's consents.

An outside service subscribed to events is a recipient under 42 CFR Part 2 like any other
(shared/design/domain.md 4.2.5). This component is that service's only door: it follows
the internal stream with a durable consumer of its own (out of the relay's hot path),
asks the client's consent record which events may go (``disclose_events``: a consent in
force that names the recipient and covers the event's kind), records one
``DisclosureRecorded`` per consent relied on, then republishes what may go under
``<outbound root>.<recipient>.<context>.<Type>.<client>`` with the consent id and the
42 CFR 2.32 notice in headers. Everything else is withheld. A message counts only when the
store holds its event at its position, and what goes out is the store's event: the stream
is a notice of what to disclose, not its source.

Once per recipient: each ``DisclosureRecorded`` names the events that went, and the
consent record refuses to disclose one of them to the same recipient again, whatever
brings its message back (a consumer made anew, a replay past the stream's duplicate
window, a restart): what went is read from the store with the record the decision loads
anyway, not from the memory of one run, so a batch costs no query more.

Order and failure: the disclosure is recorded before anything is sent and the batch is
acknowledged after. A crash between the two repeats the batch, and its events, recorded
as sent, are not sent again: at most once, never an unrecorded disclosure (the record
may name an event whose message the crash lost; ``Nats-Msg-Id`` still lets a stream on
the outbound subjects drop a repeat). A consent change seen on the stream drops that
client's cached consent record, so a revocation recorded by another process counts for
every later event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

import nats.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from carecoord.events import Actor, CareEvent, Role, catalog, headers
from carecoord.events.access import DisclosureRecorded
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.consent.commands import disclose_events
from carecoord.services.consent.notice import NOTICE_VERSION, REDISCLOSURE_NOTICE
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.gate.gate import AccessGate
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import read_page
from carecoord.services.infrastructure.relay import POSITION_HEADER, TYPE_HEADER
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.platform import Platform

log = logging.getLogger("carecoord.disclosure")

OUTBOUND_ROOT = "disclosed"
BATCH = 100
LONG_POLL_SECONDS = 1.0
CONSENT_HEADER = "Carecoord-Consent-Id"
NOTICE_HEADER = "Carecoord-Notice"
NOTICE_VERSION_HEADER = "Carecoord-Notice-Version"
# A recipient id is one NATS subject token (and a consumer name).
RECIPIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
RECIPIENT_RULE = "a recipient id is 1 to 100 letters, digits, '-' or '_' (one subject token)"


@dataclass(frozen=True, slots=True)
class Outbound:
    subject: str
    data: bytes
    headers: dict[str, str]


class Forwarder:
    """Forwards one recipient's share of the care stream; ``run`` follows it forever."""

    def __init__(
        self,
        platform: Platform,
        recipient_id: str,
        *,
        name: str = "",
        outbound_root: str = OUTBOUND_ROOT,
        from_start: bool = False,
    ) -> None:
        if not RECIPIENT_ID.match(recipient_id):
            raise ValueError(RECIPIENT_RULE)
        self.platform = platform
        self.recipient = Recipient(type=RecipientType.ORGANIZATION, id=recipient_id, name=name)
        self.subject_prefix = f"{outbound_root}.{recipient_id}"
        self.consumer = f"disclose-{recipient_id}"
        self.from_start = from_start
        self.actor = Actor(id=self.consumer, role=Role.SYSTEM)
        self.forwarded = 0
        self.position = 0  # the last stream position handled
        self._advanced = asyncio.Event()

    async def reached(self, position: int) -> None:
        """Wait until the stream up to ``position`` has been handled (forwarded or withheld)."""
        while self.position < position:
            await self._advanced.wait()

    async def run(self) -> None:
        settings = self.platform.settings
        js = self.platform.broker.connection.jetstream()
        subscription = await js.pull_subscribe(
            f"{settings.subject_root}.>",
            durable=self.consumer,
            stream=settings.stream_name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.ALL,
                deliver_policy=DeliverPolicy.ALL if self.from_start else DeliverPolicy.NEW,
            ),
        )
        task = asyncio.current_task()
        try:
            while True:
                try:
                    messages = await subscription.fetch(batch=BATCH, timeout=LONG_POLL_SECONDS)
                except TimeoutError:
                    continue
                finally:
                    # A cancel that reached the fetch as its wait ended can be swallowed
                    # (asyncio.wait_for in 3.11): the forwarder then never stopped.
                    if task is not None and task.cancelling():
                        raise asyncio.CancelledError
                if messages:
                    await self.forward(messages)
                    await messages[-1].ack()
        finally:
            # A pull subscription left on the connection keeps whatever reaches its inbox
            # after the last fetch (a late message, an expired pull's status), and draining
            # the connection then waits its whole timeout for them to be taken.
            # (Already closed, or the connection closing: nothing is left to end.)
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()

    async def forward(self, messages: Sequence[Msg]) -> None:
        """Decide, record and send one batch, in stream order."""
        vouched = await asyncio.to_thread(self._vouched, messages)
        events = [event for _, event in vouched]
        self._forget_changed_consents(events)
        by_client: dict[UUID, list[CareEvent]] = {}
        for event in events:
            if not isinstance(event, DisclosureRecorded):  # never the record of a disclosure
                by_client.setdefault(event.client_id, []).append(event)
        gate = AccessGate(self.platform, self.actor, None, uuid4())  # one batch, one correlation
        stamps = {c: await gate.stamp(Action.RECORD_DISCLOSURE, c) for c in by_client}
        decided = await asyncio.gather(
            *(
                self.platform.bus.execute(
                    disclose_events(
                        stamps[client_id],
                        client_id=client_id,
                        recipient=self.recipient,
                        events=batch,
                        destination=f"{self.subject_prefix}.>",
                    )
                )
                for client_id, batch in by_client.items()
            )
        )
        under = {event_id: c for outcome in decided for event_id, c in outcome.result.items()}
        outbound = [
            Outbound(
                catalog.subject(self.subject_prefix, event),
                catalog.encode(event),
                {
                    "Nats-Msg-Id": f"{self.recipient.id}:{event.event_id}",
                    TYPE_HEADER: type_name(type(event)),
                    CONSENT_HEADER: str(under[event.event_id]),
                    NOTICE_VERSION_HEADER: NOTICE_VERSION,
                    NOTICE_HEADER: REDISCLOSURE_NOTICE,
                },
            )
            for event in events
            if event.event_id in under
        ]
        crash_point("disclosure-unsent")  # decided and recorded, nothing published yet
        nc = self.platform.broker.connection
        for out in outbound:
            await nc.publish(out.subject, out.data, headers=out.headers)
        await nc.flush()
        self.forwarded += len(outbound)
        self.position = max([self.position, *(position for position, _ in vouched)])
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()
        log.info(
            "disclosure batch",
            extra={"recipient": self.recipient.id, "seen": len(events), "sent": len(outbound)},
        )

    def _vouched(self, messages: Sequence[Msg]) -> list[tuple[int, CareEvent]]:
        """The position and the store's own event of each message the store vouches for
        (its event at the message's position has the message's id); what is disclosed is
        the store's event, never the message's body. Anything else on the care subjects is
        withheld, logged by its code, never its content: one malformed message stopped
        every recipient's disclosures, and a forged one was disclosed and recorded. So is
        an event at a position already handled in this run, as every subscriber skips one
        (one handled before it is withheld by the consent record, ``disclose_events``)."""
        head = self.platform.store.last_position()
        handled = self.position
        found = []
        for msg in messages:
            sent = msg.headers or {}
            stored = self._stored(sent.get(POSITION_HEADER, ""), head)
            if stored is not None and str(stored.event.event_id) == sent.get(headers.MSG_ID):
                if stored.position > handled:
                    handled = stored.position
                    found.append((stored.position, stored.event))
                    continue
                log.warning(  # a replay past the duplicate window
                    "message withheld: its event was handled already",
                    extra={
                        "recipient": self.recipient.id,
                        "stream_sequence": msg.metadata.sequence.stream,
                        "position": stored.position,
                        "code": "MESSAGE_REPEATED",
                    },
                )
                continue
            log.error(
                "message withheld: the store holds no such event",
                extra={
                    "recipient": self.recipient.id,
                    "stream_sequence": msg.metadata.sequence.stream,
                    "code": "MESSAGE_NOT_IN_STORE",
                },
            )
        return found

    def _stored(self, position_header: str, head: int) -> Positioned | None:
        """The readable event stored at the position a header names, if there is one."""
        try:
            position = int(position_header)
        except ValueError:
            return None
        if not 0 < position <= head:
            return None
        page = read_page(self.platform.store, position - 1, 1)
        return next((item for item in page.events if item.position == position), None)

    def _forget_changed_consents(self, events: Sequence[CareEvent]) -> None:
        changed = {e.client_id for e in events if e.context == ConsentRecord.context}
        self.platform.store.evict(*(aggregate_id(ConsentRecord.context, c) for c in changed))
