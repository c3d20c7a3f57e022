"""Forwarding to an outside recipient: the care stream, filtered by the client's consents.

An outside service subscribed to events is a recipient under 42 CFR Part 2 like any other
(shared/design/domain.md 4.2.5). This component is that service's only door: it follows
the internal stream with a durable consumer of its own (out of the relay's hot path),
asks the client's consent record which events may go (``disclose_events``: a consent in
force that names the recipient and covers the event's kind), records one
``DisclosureRecorded`` per consent relied on, then republishes what may go under
``<outbound root>.<recipient>.<context>.<Type>.<client>`` with the consent id and the
42 CFR 2.32 notice in headers. Everything else is withheld.

Order and failure: the disclosure is recorded before anything is sent and the batch is
acknowledged after, so a crash can repeat a batch (a repeated record, never an
unrecorded disclosure); ``Nats-Msg-Id`` lets a stream on the outbound subjects drop the
repeated messages. A consent change seen on the stream drops that client's cached consent
record, so a revocation recorded by another process counts for every later event.
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

from carecoord.events import Actor, CareEvent, Role, catalog
from carecoord.events.access import DisclosureRecorded
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent.commands import disclose_events
from carecoord.services.consent.notice import NOTICE_VERSION, REDISCLOSURE_NOTICE
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.gate.gate import AccessGate
from carecoord.services.infrastructure.liveness import error_code
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
        try:
            while True:
                try:
                    messages = await subscription.fetch(batch=BATCH, timeout=LONG_POLL_SECONDS)
                except TimeoutError:
                    continue
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
        root = self.platform.settings.subject_root
        decoded = [(m, d) for m in messages if (d := self._decoded(m)) is not None]
        events = [(m, event) for m, (_, event) in decoded]
        self._forget_changed_consents([e for _, e in events])
        by_client: dict[UUID, list[CareEvent]] = {}
        for _, event in events:
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
                f"{self.subject_prefix}{msg.subject.removeprefix(root)}",
                msg.data,
                {
                    "Nats-Msg-Id": f"{self.recipient.id}:{event.event_id}",
                    TYPE_HEADER: (msg.headers or {})[TYPE_HEADER],
                    CONSENT_HEADER: str(under[event.event_id]),
                    NOTICE_VERSION_HEADER: NOTICE_VERSION,
                    NOTICE_HEADER: REDISCLOSURE_NOTICE,
                },
            )
            for msg, event in events
            if event.event_id in under
        ]
        nc = self.platform.broker.connection
        for out in outbound:
            await nc.publish(out.subject, out.data, headers=out.headers)
        await nc.flush()
        self.forwarded += len(outbound)
        self.position = max([self.position, *(position for _, (position, _) in decoded)])
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()
        log.info(
            "disclosure batch",
            extra={"recipient": self.recipient.id, "seen": len(events), "sent": len(outbound)},
        )

    def _decoded(self, msg: Msg) -> tuple[int, CareEvent] | None:
        """The message's position and event; None for one that is no event of the relay's
        (logged by its code, never its content): withheld, it must not stop the stream for
        every other client, as it did at each restart of the forwarder."""
        sent = msg.headers or {}
        try:
            return int(sent[POSITION_HEADER]), catalog.decode(sent[TYPE_HEADER], msg.data)
        except Exception as failure:  # whatever the bytes are, they fail this one alone
            log.error(
                "message withheld: it is not an event",
                extra={
                    "recipient": self.recipient.id,
                    "stream_sequence": msg.metadata.sequence.stream,
                    "error": error_code(failure),
                    "code": "MESSAGE_UNREADABLE",
                },
            )
            return None

    def _forget_changed_consents(self, events: Sequence[CareEvent]) -> None:
        changed = {e.client_id for e in events if e.context == ConsentRecord.context}
        self.platform.store.evict(*(aggregate_id(ConsentRecord.context, c) for c in changed))
