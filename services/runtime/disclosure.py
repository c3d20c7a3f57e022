"""Forwarding to an outside recipient: the store's log, filtered by the client's consents.

An outside service subscribed to events is a recipient under 42 CFR Part 2 like any other
(shared/design/domain.md 4.2.5). This component is that service's only door: a follower of
the store's log of its own (out of the relay's hot path), its position kept in PostgreSQL
(``follower_positions``, ``disclose-<recipient>``). For each page of the log it asks every
client's consent record which events may go (``disclose_events``: a consent in force that
names the recipient and covers the event's kind) and records one ``DisclosureIntended`` per
consent relied on; then it publishes what may go under
``<disclosure root>.<recipient>.<context>.<Type>.<client>`` (``disclosed`` under the default
subject root, ``Settings.disclosure_root``) with the consent id and the
42 CFR 2.32 notice in headers, records each intent sent (``DisclosureRecorded``, the same
disclosure id), and keeps the page's position. Everything else is withheld. What goes out
is the store's event, read from the store: no message on the care subjects is its source.
An entry goes under the consent covering its kind (and what else it tells), without the
free text of its own that consent does not cover (``withheld_from``), null and named in its
``withheld``: a drug court consented to dosing learns a dose was not given, not the nurse's
note, and that a dose it was sent was entered in error, not why. A progress step restating
a goal's words withholds them by the goal's writer and its note by its own. Each is sent
again so after a crash. Deciding reads no client's history but a goal's (``_goal_writers``).

Truthful under a crash, wherever it strikes, and relying on no redelivery by the broker:
nothing is published before an intent naming its consent is recorded, and nothing is
recorded sent before it was published. Killed before its intents are recorded, the
forwarder reads the page again from the kept position. Killed between intent and record,
it finds on start the intents to its recipient recorded after that position, asks their
consent records which were neither recorded sent nor withdrawn (``interrupted_disclosures``)
and sends those again under the same ``Nats-Msg-Id`` (a stream on the outbound subjects
drops the repeat of one that went before the crash), then records them sent; one whose
consent ended meanwhile is withdrawn (``DisclosureWithdrawn``), not sent. Killed after the
record, it reads the page again and withholds its events, intended already.

Once per recipient: the consent record refuses to intend an event to a recipient that an
intent or a disclosure of theirs names already, whatever brings the event back (a restart,
a position made anew), with no query more than the decision's own load of the record. A
consent change read from the log drops that client's cached consent record, so a
revocation recorded by another process counts for every later event.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID, uuid4

import nats.errors

from carecoord.events import Actor, CareEvent, Kind, Role, catalog
from carecoord.events.access import DISCLOSURE_EVENTS, DisclosureIntended
from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.care import GoalProgressRecorded
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.care.commands import goal_writers
from carecoord.services.consent.commands import (
    consented,
    disclose_events,
    interrupted_disclosures,
    record_sent,
    withheld_from,
    written_by,
)
from carecoord.services.consent.notice import version_of
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.gate.gate import AccessGate
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import Doorbell, Page, next_page
from carecoord.services.infrastructure.liveness import cancel_loops, keep_running
from carecoord.services.infrastructure.relay import TYPE_HEADER
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.platform_ids import forwarder
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

log = logging.getLogger("carecoord.disclosure")

BATCH = 100
INTENTS_PAGE = 1000
ALERT_EVENTS = (AlertRaised, AlertAcknowledged, AlertResolved)
CONSENT_HEADER = "Carecoord-Consent-Id"
CONSENT_SCOPE_HEADER = "Carecoord-Consent-Scope"
"""The scope of the consent an event goes under (``Consent.scope``): 42 CFR 2.32(b)."""
NOTICE_HEADER = "Carecoord-Notice"
NOTICE_VERSION_HEADER = "Carecoord-Notice-Version"
# A recipient id is one NATS subject token (and a follower's name).
RECIPIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
RECIPIENT_RULE = "a recipient id is 1 to 100 letters, digits, '-' or '_' (one subject token)"


class Forwarder:
    """Forwards one recipient's share of the store's log; ``run`` follows it forever."""

    def __init__(
        self,
        platform: Platform,
        recipient_id: str,
        *,
        name: str = "",
        from_start: bool = False,
    ) -> None:
        if not RECIPIENT_ID.match(recipient_id):
            raise ValueError(RECIPIENT_RULE)
        self.platform = platform
        self.recipient = Recipient(type=RecipientType.ORGANIZATION, id=recipient_id, name=name)
        self.subject_prefix = f"{platform.settings.disclosure_root}.{recipient_id}"
        self.follower = forwarder(recipient_id)
        self.from_start = from_start
        self.actor = Actor(id=self.follower, role=Role.SYSTEM)
        self.forwarded = 0
        self.position = 0  # the last position of the log handled
        self._advanced = asyncio.Event()

    async def reached(self, position: int) -> None:
        """Wait until the log up to ``position`` has been handled (forwarded or withheld)."""
        while self.position < position:
            await self._advanced.wait()

    async def run(self) -> None:
        """Follow the log until cancelled. Any failure (a broker that does not confirm what
        was published, a database outage) is retried after a pause as a restart would be:
        from the kept position, sending again what was intended and not recorded sent. It
        ended the command, a broker gone quiet for ten seconds (the publish's flush timed
        out) among them, and nothing more was disclosed until someone started it again."""
        doorbell = Doorbell(self.platform.database_url, self.platform.store.channel)
        wake = doorbell.bell()
        listening = asyncio.create_task(doorbell.run(self.platform.liveness))
        try:
            await keep_running(
                self.follower, functools.partial(self._follow, wake), self.platform.liveness
            )
        finally:
            await cancel_loops([listening])

    async def _follow(self, wake: asyncio.Event) -> None:
        task = asyncio.current_task()
        self.position = await self._kept_position()
        await self.resume()
        self.platform.liveness.progressed(self.follower)
        while True:
            # A cancel that reached a driver's wait_for as it ended can be swallowed
            # (asyncio.wait_for in 3.11): the forwarder then never stopped.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            page = await next_page(self.platform.store, wake, self.position, BATCH)
            await self.forward(page)
            self.platform.liveness.progressed(self.follower)

    async def _kept_position(self) -> int:
        """Where the last run left off. The first run starts at the store's head (its start
        with ``from_start``) and keeps it at once, so that every intent it records lies
        after a kept position."""
        store = self.platform.store
        start = 0 if self.from_start else await asyncio.to_thread(store.last_position)
        async with self.platform.pool.connection() as conn:
            return await positions.start_at(conn, self.follower, start)

    async def resume(self) -> None:
        """Send again what a stopped run intended after the kept position and did not
        record as sent; an intent whose consent ended meanwhile is withdrawn instead."""
        clients = await asyncio.to_thread(self._intended_after, self.position)
        stamps = await self._stamps(clients)
        found = await asyncio.gather(
            *(
                self.platform.bus.execute(
                    interrupted_disclosures(stamp, client_id=client, recipient=self.recipient)
                )
                for client, stamp in stamps.items()
            )
        )
        intents = [intent for outcome in found for intent in outcome.result]
        events = await asyncio.to_thread(self._stored, intents)
        goals = await self._goal_writers(events.values())
        sent = await self._send(intents, events, stamps, goals)
        if intents:
            log.warning(
                "interrupted disclosures sent again",
                extra={"recipient": self.recipient.id, "intents": len(intents), "sent": sent},
            )

    async def forward(self, page: Page) -> None:
        """Decide, intend, send and record one page of the log; then keep its position."""
        for unreadable in page.unreadable:
            log.error(
                "stored event withheld: it does not decode",
                extra={
                    "recipient": self.recipient.id,
                    "position": unreadable.position,
                    "code": "EVENT_UNREADABLE",
                },
            )
        self._forget_changed_consents([p.event for p in page.events])
        by_client: dict[UUID, list[Positioned]] = {}
        for offered in page.events:
            if not isinstance(offered.event, DISCLOSURE_EVENTS):  # never a disclosure's record
                by_client.setdefault(offered.event.client_id, []).append(offered)
        stamps = await self._stamps(by_client)
        goals = await self._goal_writers(p.event for p in page.events)
        crash_point("disclosure-undecided")  # read, nothing recorded yet
        decided = await asyncio.gather(
            *(
                self.platform.bus.execute(
                    disclose_events(
                        stamps[client_id],
                        client_id=client_id,
                        recipient=self.recipient,
                        events=batch,
                        destination=f"{self.subject_prefix}.>",
                        tells=self._tells,
                        writers=functools.partial(_writers, goals),
                    )
                )
                for client_id, batch in by_client.items()
            )
        )
        intents = [intent for outcome in decided for intent in outcome.result]
        crash_point("disclosure-unsent")  # intended and recorded, nothing published yet
        events = {p.event.event_id: p.event for p in page.events}
        sent = await self._send(intents, events, stamps, goals)
        async with self.platform.pool.connection() as conn:
            await positions.write(conn, self.follower, page.last)
        self.position = page.last
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()
        log.info(
            "disclosure batch",
            extra={"recipient": self.recipient.id, "seen": len(page.events), "sent": sent},
        )

    def _tells(self, event: CareEvent) -> frozenset[Kind]:
        """What an event tells of the record besides its kind and its free text: an alert,
        what its rule tells (``REVEALS``), as it is shown to a member only whose grant shows
        that too; a consent to alerts and check-ins lets no QTc alert on methadone go. Its
        free text does not keep it back: it goes without what the consent does not cover of
        it (``disclose_events``, by its writers: ``_writers``)."""
        if isinstance(event, ALERT_EVENTS):
            return self.platform.alert_rules.tells(event.rule_id)
        return frozenset()

    async def _goal_writers(self, events: Iterable[CareEvent]) -> dict[UUID, Role]:
        """The role each goal a progress step among ``events`` restates was set in, from
        its client's record (the store's, not a view that could lag): one read a client."""
        clients = {e.client_id for e in events if isinstance(e, GoalProgressRecorded)}
        found = await asyncio.gather(
            *(self.platform.bus.execute(goal_writers(client)) for client in clients)
        )
        return {goal: role for outcome in found for goal, role in outcome.result.items()}

    async def _send(
        self,
        intents: Sequence[DisclosureIntended],
        events: dict[UUID, CareEvent],
        stamps: dict[UUID, Stamp],
        goals: Mapping[UUID, Role],
    ) -> int:
        """Publish what ``intents`` name, in the log's order, then record each sent; the
        number of messages."""
        if not intents:
            return 0
        going = sorted(
            (position, event_id, intent.consent_id, intent.notice)
            for intent in intents
            for position, event_id in zip(intent.positions, intent.event_ids, strict=True)
        )
        clients = {intent.client_id for intent in intents}
        found = await asyncio.gather(
            *(self.platform.bus.execute(consented(client)) for client in clients)
        )
        consents = {c: terms for outcome in found for c, terms in outcome.result.items()}
        nc = self.platform.broker.connection
        if not nc.is_connected:
            # nats-py keeps what is published while it reconnects and sends it all once
            # back: each retry of an outage added one more copy of every message (seven of
            # one disclosure after a 15 s outage, a page's worth each retry).
            raise nats.errors.ConnectionReconnectingError
        for _, event_id, consent_id, notice in going:
            event = events[event_id]
            under = consents[consent_id]
            await nc.publish(
                catalog.subject(self.subject_prefix, event),
                _body(event, withheld_from(_writers(goals, event), under.kinds)),
                headers={
                    "Nats-Msg-Id": f"{self.recipient.id}:{event_id}",
                    TYPE_HEADER: type_name(type(event)),
                    CONSENT_HEADER: str(consent_id),
                    CONSENT_SCOPE_HEADER: under.scope,
                    # The notice its intent recorded, which its disclosure records too:
                    # one intended before the notice changed goes with the text it named.
                    NOTICE_VERSION_HEADER: version_of(notice),
                    NOTICE_HEADER: notice,
                },
            )
        await nc.flush()
        if not nc.is_connected:
            # nats-py's flush returns at once while the client reconnects (its reader is
            # stopped, so no PING could be answered), the messages only in its own buffer:
            # they were recorded sent though the server never had them, and lost with the
            # process if it ended before the reconnect. Sent again once the broker is back.
            raise nats.errors.ConnectionReconnectingError
        by_client: dict[UUID, list[UUID]] = {}
        for intent in intents:
            by_client.setdefault(intent.client_id, []).append(intent.disclosure_id)
        await asyncio.gather(
            *(
                self.platform.bus.execute(
                    record_sent(stamps[client_id], client_id=client_id, disclosure_ids=ids)
                )
                for client_id, ids in by_client.items()
            )
        )
        self.forwarded += len(going)
        return len(going)

    async def _stamps(self, clients: Iterable[UUID]) -> dict[UUID, Stamp]:
        gate = AccessGate(self.platform, self.actor, None, uuid4())  # one batch, one correlation
        return {c: await gate.stamp(Action.RECORD_DISCLOSURE, c) for c in clients}

    def _intended_after(self, after: int) -> list[UUID]:
        """The clients with an intent to this recipient recorded after ``after``: where a
        stopped run may have left one unfinished (its consent record says which)."""
        store = self.platform.store
        clients: dict[UUID, None] = {}
        while True:
            notes = store.recorder.select_notifications(
                start=after,
                limit=INTENTS_PAGE,
                topics=[type_name(DisclosureIntended)],
                inclusive_of_start=False,
            )
            for note in notes:
                intent = store.catalog_mapper.open(note.topic, note.state)
                if isinstance(intent, DisclosureIntended) and _same(
                    intent.recipient, self.recipient
                ):
                    clients[intent.client_id] = None
            if len(notes) < INTENTS_PAGE:
                return list(clients)
            after = notes[-1].id

    def _stored(self, intents: Sequence[DisclosureIntended]) -> dict[UUID, CareEvent]:
        """The store's events that ``intents`` name, read at their positions."""
        found = {}
        for intent in intents:
            for position, event_id in zip(intent.positions, intent.event_ids, strict=True):
                [stored] = self.platform.store.read(position - 1, 1)
                if stored.event.event_id != event_id:
                    raise LookupError(f"position {position} holds another event than intended")
                found[event_id] = stored.event
        return found

    def _forget_changed_consents(self, events: Sequence[CareEvent]) -> None:
        changed = {e.client_id for e in events if e.context == ConsentRecord.context}
        self.platform.store.evict(*(aggregate_id(ConsentRecord.context, c) for c in changed))


def _writers(goals: Mapping[UUID, Role], event: CareEvent) -> dict[str, Role]:
    """The free text ``event`` holds by its writer's role (``written_by``), but a progress
    step's restating of its goal's words, which tell whatever the goal's writer reads (by
    its role in ``goals``; a prescriber's where it is not found): a therapist's step on a
    prescriber's goal of a dose goes with her note and without his words under a consent
    to what a therapist reads."""
    found = written_by(event)
    if isinstance(event, GoalProgressRecorded):
        found["description"] = goals.get(event.goal_id, Role.PRESCRIBER)
    return found


def _body(event: CareEvent, withheld: list[str]) -> bytes:
    """The event as the recipient reads it: its fields ``withheld`` null and named in its
    ``withheld``, so a reason kept back never reads as one left empty."""
    if not withheld:
        return catalog.encode(event)
    body = json.loads(catalog.encode(event))
    return json.dumps({**body, **dict.fromkeys(withheld), "withheld": withheld}).encode()


def _same(one: Recipient, other: Recipient) -> bool:
    return (one.type, one.id) == (other.type, other.id)
