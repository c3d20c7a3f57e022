"""``audit export``'s text written as it is made, a page of the store at a time: a program's
years were read whole into memory, every event of every client whatever the period, and the
text made whole beside them (900 MB for 200,000 events exported as an empty period, 3.7 GB
as a Bundle), so a large program's export was not bounded by anything but the machine.

JSON Lines are the program's events in log order, read a page at a time up to the store's
head as the export began, each page's lines written before the next is read. A Bundle
folds each client's history into its resources, so it holds one client's history at a
time; the reads of each client's record (the access log's) follow the resources, a client
at a time. Each returns what the access log records of each client: the kinds and the
number of events exported in the period.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from itertools import chain
from typing import TextIO
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Kind
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.export import ClientRecord, Period, as_fhir, as_jsonl
from carecoord.projections.audit.history import client_pages, pages_of
from carecoord.projections.audit.reads import reads_of
from carecoord.services.infrastructure.chain_verification import client_aggregates
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.policy import Grant

PAGE = 1000
"""Events read from the store at once."""

Progress = Callable[[int, int], None]
"""Told how far the export is (reached, of)."""


@dataclass(slots=True)
class Tally:
    """What the access log records of one client's export."""

    kinds: set[Kind] = field(default_factory=set)
    count: int = 0

    def add(self, record: ClientRecord, period: Period) -> None:
        self.kinds |= record.kinds(period)
        self.count += len(record.within(period))


def write_jsonl(
    store: EventStore,
    clients: Sequence[UUID],
    grant: Grant,
    reader: Actor,
    period: Period,
    out: TextIO,
    progress: Progress,
) -> dict[UUID, Tally]:
    """The clients' events recorded in the period, merged in log order, one a line (as
    ``as_jsonl``), up to the store's head as it begins; progress by store position. Free
    text is withheld by page (``ClientRecord.shown``): a progress step's goal is looked for
    in its page alone, which an auditor's grant, showing every writer's text, never needs."""
    tallies = {client: Tally() for client in clients}
    aggregates = [a for client in clients for a in client_aggregates(client)]
    head = store.last_position()
    for page in pages_of(store, aggregates, PAGE, through=head):
        by_client: dict[UUID, list[Positioned]] = {}
        for item in page:
            by_client.setdefault(item.event.client_id, []).append(item)
        records = [ClientRecord.shown(c, e, grant, reader, period) for c, e in by_client.items()]
        out.write(as_jsonl(records, period))
        for record in records:
            tallies[record.client_id].add(record, period)
        progress(page[-1].position, head)
    return tallies


async def write_fhir(
    store: EventStore,
    pool: AsyncConnectionPool,
    clients: Sequence[UUID],
    grant: Grant,
    reader: Actor,
    period: Period,
    zone: tzinfo,
    out: TextIO,
    progress: Progress,
) -> dict[UUID, Tally]:
    """One Bundle (``as_fhir``'s) of the clients' resources, a client at a time, then the
    logged reads of each one's record in the period; progress by client."""
    at = datetime.now(UTC)
    head = as_fhir([], [], at=at, period=period, zone=zone)  # a Bundle of none: no entry
    out.write(json.dumps(head)[:-1])
    written = 0

    def put(entries: list[dict[str, object]]) -> None:
        nonlocal written
        for entry in entries:
            out.write((', "entry": [\n' if not written else ",\n") + json.dumps(entry))
            written += 1

    tallies = {client: Tally() for client in clients}
    for n, client in enumerate(clients, 1):
        record = await asyncio.to_thread(_record, store, client, grant, reader, period)
        put(as_fhir([record], [], at=at, period=period, zone=zone).get("entry", []))
        tallies[client].add(record, period)
        progress(n, len(clients))
    for client in clients:
        reads = await reads_of(pool, [client], period)
        put(as_fhir([], reads, at=at, period=period, zone=zone).get("entry", []))
    out.write("\n]}\n" if written else "}\n")
    return tallies


def _record(
    store: EventStore, client: UUID, grant: Grant, reader: Actor, period: Period
) -> ClientRecord:
    """The client's record up to the period's end, read a page at a time: only what the
    grant shows is kept, the events before the period among them (the Bundle folds them)."""
    return ClientRecord.shown(
        client, chain.from_iterable(client_pages(store, client, PAGE)), grant, reader, period
    )
