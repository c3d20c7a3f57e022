"""A client's events, and a program's clients, read from the event store itself: exports
and reconstructions rest on the log, never on a read model that could lag or be rebuilt
wrong.

Synchronous, on the store's own connections (the library's); async callers run these in a
worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from psycopg import sql
from pydantic_core import from_json

from carecoord.events.care import ClientEnrolled
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure.chain_verification import client_aggregates
from carecoord.services.infrastructure.store import CatalogMapper, EventStore
from carecoord.services.kernel.errors import Altered

_CLIENT = "SELECT notification_id, topic, state FROM {} WHERE originator_id = ANY(%s) ORDER BY 1"
_PAGE = (
    "SELECT notification_id, topic, state FROM {} WHERE originator_id = ANY(%s)"
    " AND notification_id > %s AND notification_id <= %s ORDER BY 1 LIMIT %s"
)
Row = Mapping[str, Any]
"""A stored event's row: its position, topic and state."""
_NO_END = 2**63 - 1
"""The greatest position a store numbers (a bigint): a read to it reads to the head."""
_ANY = "SELECT 1 FROM {} WHERE originator_id = ANY(%s) LIMIT 1"
# Enrolments are few and their topic is readable (only bodies are encrypted).
_ENROLMENTS = "SELECT notification_id, topic, state FROM {} WHERE topic = %s ORDER BY 1"


class Unreadable(Altered, ValueError):
    """A stored event of the record that does not decode (altered, of a later release, or
    sealed under another key), named by its position: an export or a reconstruction that
    stops at it says where, as ``audit verify`` says where the chain breaks; its cause says
    why. The API answers it as the refusal it is (``DATA_LOSS``, the position), not as an
    internal error the auditor can only quote a reference of."""

    def __init__(self, position: int, cause: Exception) -> None:
        super().__init__(
            "clientId",
            "event-unreadable",
            f"the event at position {position} does not decode (altered, of a later release,"
            " or sealed under another key; verifyClientRecord names an altered event)",
            {"position": position},
        )
        self.position = position
        self.cause = cause


def client_history(store: EventStore, client_id: UUID) -> list[Positioned]:
    """Every stored event of the client, in log order."""
    return _read(store, _CLIENT, (client_aggregates(client_id),))


def is_stored(store: EventStore, client_id: UUID) -> bool:
    """Whether any event of the client is stored (``client_history`` not empty), on one
    index probe: a mistyped id, where an auditor's read is told it names no client."""
    return bool(_rows(store, _ANY, (client_aggregates(client_id),)))


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
    """The clients enrolled in ``program``, in the order they were enrolled. An enrolment
    that does not decode (of a later release, read after a rollback) counts by the client
    and program its stored body names: one of them stopped every program's export. One
    whose body names neither (altered, sealed under another key) stops it still, by its
    position (``Unreadable``), since whose it is cannot be told."""
    mapper = store.catalog_mapper
    clients = []
    for row in _rows(store, _ENROLMENTS, (type_name(ClientEnrolled),)):
        try:
            enrolment = _opened(mapper, row).event
        except Unreadable as unreadable:
            client, named = _named(mapper, row, unreadable)
        else:
            client, named = enrolment.client_id, getattr(enrolment, "program", None)
        if named == program:
            clients.append(client)
    return clients


def _named(mapper: CatalogMapper, row: Row, unreadable: Unreadable) -> tuple[UUID, object]:
    """The client and the program an enrolment's stored body names, read as JSON alone."""
    try:
        body = from_json(mapper.unseal(bytes(row["state"])))
        return UUID(body["client_id"]), body["program"]
    except (ValueError, LookupError, TypeError) as unnamed:
        raise unreadable from unnamed


def _rows(store: EventStore, query: str, params: tuple[Any, ...]) -> list[Row]:
    table = sql.Identifier(store.recorder.events_table_name)  # type: ignore[attr-defined]
    datastore = store.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn:
        return list(conn.execute(sql.SQL(query).format(table), params).fetchall())


def _opened(mapper: CatalogMapper, row: Row) -> Positioned:
    try:
        return Positioned(row["notification_id"], mapper.open(row["topic"], bytes(row["state"])))
    except (ValueError, LookupError) as unreadable:
        raise Unreadable(row["notification_id"], unreadable) from unreadable


def _read(store: EventStore, query: str, params: tuple[Any, ...]) -> list[Positioned]:
    mapper = store.catalog_mapper
    return [_opened(mapper, row) for row in _rows(store, query, params)]
