"""A client's events, and a program's clients, read from the event store itself: exports
and reconstructions rest on the log, never on a read model that could lag or be rebuilt
wrong.

Synchronous, on the store's own connections (the library's); async callers run these in a
worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from psycopg import sql

from carecoord.events.care import ClientEnrolled
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure.chain_verification import client_aggregates
from carecoord.services.infrastructure.store import EventStore

_CLIENT = "SELECT notification_id, topic, state FROM {} WHERE originator_id = ANY(%s) ORDER BY 1"
_PAGE = (
    "SELECT notification_id, topic, state FROM {} WHERE originator_id = ANY(%s)"
    " AND notification_id > %s AND notification_id <= %s ORDER BY 1 LIMIT %s"
)
_NO_END = 2**63 - 1
"""The greatest position a store numbers (a bigint): a read to it reads to the head."""
# Enrolments are few and their topic is readable (only bodies are encrypted).
_ENROLMENTS = "SELECT notification_id, topic, state FROM {} WHERE topic = %s ORDER BY 1"


class Unreadable(ValueError):
    """A stored event of the record that does not decode (altered, of a later release, or
    sealed under another key), named by its position: an export that stops at it says
    where, as ``audit verify`` says where the chain breaks; its cause says why."""

    def __init__(self, position: int, cause: Exception) -> None:
        super().__init__(f"the event at position {position} does not decode")
        self.position = position
        self.cause = cause


def client_history(store: EventStore, client_id: UUID) -> list[Positioned]:
    """Every stored event of the client, in log order."""
    return _read(store, _CLIENT, (client_aggregates(client_id),))


def client_pages(store: EventStore, client_id: UUID, size: int) -> Iterator[list[Positioned]]:
    """The client's stored events in log order, ``size`` at most a page, each fetched only
    when the one before has been taken: a reader that stops once it has enough (an export
    past its bound) fetched and decoded no more than the pages it took, not years of
    records."""
    return pages_of(store, client_aggregates(client_id), size)


def pages_of(
    store: EventStore, aggregates: Sequence[UUID], size: int, through: int = _NO_END
) -> Iterator[list[Positioned]]:
    """The stored events of ``aggregates`` (several clients' too) up to position
    ``through``, in log order, a page at a time as ``client_pages`` reads them: a program's
    years are read without holding more than a page of them."""
    after = 0
    while True:
        page = _read(store, _PAGE, (list(aggregates), after, through, size))
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1].position


def program_clients(store: EventStore, program: str) -> list[UUID]:
    """The clients enrolled in ``program``, in the order they were enrolled."""
    enrolments = _read(store, _ENROLMENTS, (type_name(ClientEnrolled),))
    return [
        item.event.client_id
        for item in enrolments
        if isinstance(item.event, ClientEnrolled) and item.event.program == program
    ]


def _read(store: EventStore, query: str, params: tuple[Any, ...]) -> list[Positioned]:
    table = sql.Identifier(store.recorder.events_table_name)  # type: ignore[attr-defined]
    datastore = store.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn:
        rows = conn.execute(sql.SQL(query).format(table), params).fetchall()
    mapper = store.catalog_mapper
    read = []
    for row in rows:
        try:
            read.append(
                Positioned(row["notification_id"], mapper.open(row["topic"], bytes(row["state"])))
            )
        except (ValueError, LookupError) as unreadable:
            raise Unreadable(row["notification_id"], unreadable) from unreadable
    return read
