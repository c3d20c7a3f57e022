"""Idempotency keys: a retried command answers with its first outcome instead of recording again.

A caller who lost a response (a dropped connection, a crashed API process) retries with
the same key. The key's row is written by the recorder below in the same transaction as
the command's events, after them, so a commit always keeps its key and a crash between
commit and response cannot lose it: the retry finds the row and gets the first outcome.

A key belongs to whoever sent it (actor id and role). Its row also holds a digest of the
request, so the same key on a different request is refused rather than answered with
another request's outcome. Rows are never deleted, like the events they name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from carecoord.events import catalog
from carecoord.events.envelope import CareEvent, type_name
from carecoord.events.medication import HardStopRefused, InteractionFound, TakeHomeBottle
from carecoord.services.infrastructure import pipelines
from carecoord.services.infrastructure.store_types import StoreTypesRecorder
from carecoord.services.kernel.errors import InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
TABLE = "idempotency_keys"
SAVE_KWARG = "idempotency_keys"
"""The keyword ``EventStore.record`` passes through ``save`` down to the recorder."""

Scope = tuple[str, str, str]
"""(actor id, role, key): whose key it is."""


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A caller's key for one command, and the digest of the request that carried it."""

    actor_id: str
    role: str
    key: str
    digest: str

    @property
    def scope(self) -> Scope:
        return (self.actor_id, self.role, self.key)


def checked(raw: str) -> str:
    """The key as given, if it is 1 to 255 printable ASCII characters; refused otherwise."""
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in raw):
        raise InvalidInput(
            HEADER,
            "idempotency-key-format",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
        )
    return raw


def request_digest(request: Mapping[str, Any]) -> str:
    """SHA-256 of the request as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reused() -> InvalidInput:
    return InvalidInput(
        HEADER,
        "idempotency-key-reused",
        f"this {HEADER} was sent before with a different request; nothing was recorded. "
        f"Send a new key for a new request, or the same request to get its first answer",
    )


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Keeping(Generic[R]):
    """What the bus asks the store to keep: a keyed command's events (their index in the
    batch's events and their ids) and its result; the recorder gets it with the result
    encoded (and sealed, when events are)."""

    key: IdempotencyKey
    first: int
    event_ids: tuple[UUID, ...]
    result: R


@dataclass(frozen=True, slots=True)
class Kept:
    """A key found in the store: the first outcome, and the digest of the request that made it."""

    result: object
    position: int
    event_ids: tuple[UUID, ...]
    digest: str


# Results: JSON with the type's name, so a replay gives back an equal object.


@dataclass(frozen=True, slots=True)
class _Codec:
    name: str
    cls: type
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _uuid_map(value: dict[Any, Any]) -> dict[str, str]:
    if not all(isinstance(x, UUID) for pair in value.items() for x in pair):
        raise TypeError("only a dict of UUID to UUID can be kept as a command's result")
    return {str(k): str(v) for k, v in value.items()}


def _decoded(value: Mapping[str, str]) -> CareEvent:
    return catalog.decode(value["type"], value["body"].encode())


def _finding(value: Mapping[str, str]) -> InteractionFound:
    return cast("InteractionFound", _decoded(value))


@cache
def _codecs() -> dict[type, _Codec]:
    # The commands import the bus, which imports this module: import on first use.
    from carecoord.services.consent.commands import Disclosed  # noqa: PLC0415
    from carecoord.services.medication.commands import (  # noqa: PLC0415
        NotGivenRecorded,
        Written,
    )
    from carecoord.services.medication.returns import Returned  # noqa: PLC0415
    from carecoord.services.therapy.closure import Closure  # noqa: PLC0415

    def event(found: CareEvent) -> dict[str, str]:
        return {"type": type_name(type(found)), "body": catalog.encode(found).decode()}

    def written(value: Written) -> dict[str, Any]:
        found = [event(f) for f in value.findings]
        refused = event(value.refused) if value.refused else None
        return {"id": str(value.id), "findings": found, "refused": refused}

    def unwritten(value: dict[str, Any]) -> Written:
        # A refused hard stop is kept too, so its retry answers with the same refusal.
        refused = value.get("refused")
        return Written(
            UUID(value["id"]),
            tuple(_finding(f) for f in value["findings"]),
            refused=cast("HardStopRefused", _decoded(refused)) if refused else None,
        )

    codecs = [
        _Codec("none", type(None), lambda _: None, lambda _: None),
        _Codec("bool", bool, bool, bool),
        _Codec("int", int, int, int),
        _Codec("uuid", UUID, str, UUID),
        _Codec("uuid-map", dict, _uuid_map, lambda m: {UUID(k): UUID(v) for k, v in m.items()}),
        _Codec("medication.Written", Written, written, unwritten),
        _Codec(
            "medication.NotGivenRecorded",
            NotGivenRecorded,
            lambda v: {"order_id": str(v.order_id), "entry_id": str(v.entry_id)},
            lambda m: NotGivenRecorded(UUID(m["order_id"]), UUID(m["entry_id"])),
        ),
        _Codec(
            "medication.Returned",
            Returned,
            lambda v: {
                "return_id": str(v.return_id),
                "still_out": [[str(d), b.model_dump(mode="json")] for d, b in v.still_out],
            },
            lambda m: Returned(
                UUID(m["return_id"]),
                tuple((UUID(d), TakeHomeBottle.model_validate(b)) for d, b in m["still_out"]),
            ),
        ),
        _Codec(
            "consent.Disclosed",
            Disclosed,
            lambda v: {"id": str(v.id), "notice": v.notice, "consent_scope": v.consent_scope},
            lambda m: Disclosed(UUID(m["id"]), m["notice"], m["consent_scope"]),
        ),
        _Codec(
            "therapy.Closure",
            Closure,
            lambda v: {"id": str(v.id), "sessions": v.sessions, "clients": v.clients},
            lambda m: Closure(UUID(m["id"]), m["sessions"], m["clients"]),
        ),
    ]
    return {c.cls: c for c in codecs}


def encode_result(result: object) -> bytes:
    codec = _codecs().get(type(result))
    if codec is None:
        raise TypeError(f"a {type(result).__name__} result cannot be kept for an idempotency key")
    return json.dumps({"type": codec.name, "value": codec.encode(result)}).encode()


def decode_result(payload: bytes) -> object:
    data = json.loads(payload)
    for codec in _codecs().values():
        if codec.name == data["type"]:
            return codec.decode(data["value"])
    raise TypeError(f"no result codec named {data['type']!r}")


class IdempotentRecorder(StoreTypesRecorder):
    """The library's recorder, also keeping idempotency keys in the events' transaction.

    ``insert_events`` calls ``_fetch_ids_after_insert_events`` inside its transaction,
    after the events are inserted and numbered: a key is inserted there with the position
    of its command's last event. A command that recorded nothing has its key inserted in
    ``_insert_events``, which the library calls first in the same transaction. A key
    already kept (another process, same key) is a unique violation, so the whole
    transaction fails as an ``IntegrityError`` and the bus retries the command alone,
    which then finds the key.
    """

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        assert not datastore.enable_db_functions, "the insert function would skip the keys"
        table = SQL("{schema}.{table}").format(
            schema=Identifier(datastore.schema), table=Identifier(TABLE)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {table} ("
                "actor_id text NOT NULL, "
                "actor_role text NOT NULL, "
                "key text NOT NULL, "
                "request_digest text NOT NULL, "
                "position bigint NOT NULL, "
                "event_ids uuid[] NOT NULL, "
                "result bytea NOT NULL, "
                "kept_at timestamptz NOT NULL DEFAULT now(), "
                "PRIMARY KEY (actor_id, actor_role, key))"
            ).format(table=table)
        )
        self._insert_keys = SQL(
            "INSERT INTO {table} "
            "(actor_id, actor_role, key, request_digest, position, event_ids, result) VALUES "
        ).format(table=table)
        self._select_keys = SQL(
            "SELECT actor_id, actor_role, key, request_digest, position, event_ids, result "
            "FROM {table} WHERE (actor_id, actor_role, key) IN "
            "(SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))"
        ).format(table=table)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        self._keep(curs, [r for r in _rows(kwargs) if not r.event_ids], [])

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # The library syncs its pipeline next: the batch must have left first.
        pipelines.send_all(curs.connection)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._keep(curs, [r for r in _rows(kwargs) if r.event_ids], ids or [])
        return ids

    def _keep(
        self, curs: Cursor[DictRow], rows: Sequence[Keeping[bytes]], ids: Sequence[int]
    ) -> None:
        if not rows:
            return
        params = [
            value
            for r in rows
            for value in (
                *r.key.scope,
                r.key.digest,
                max(ids[r.first : r.first + len(r.event_ids)], default=0),
                list(r.event_ids),
                r.result,
            )
        ]
        values = SQL(", ").join([SQL("(%s, %s, %s, %s, %s, %s::uuid[], %s)")] * len(rows))
        with curs.connection.pipeline() as pipeline:
            curs.execute(self._insert_keys + values, params)
            pipelines.send_all(curs.connection)
            # Now, so a key kept by another process fails here as an IntegrityError.
            pipeline.sync()

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_keys(self, scopes: Sequence[Scope]) -> list[dict[str, Any]]:
        """The kept rows of these keys (one indexed query for any number of them)."""
        columns = [list(c) for c in zip(*scopes, strict=True)]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_keys, columns, prepare=True)
            return curs.fetchall()


def _rows(kwargs: Mapping[str, Any]) -> Sequence[Keeping[bytes]]:
    return cast("Sequence[Keeping[bytes]]", kwargs.get(SAVE_KWARG, ()))
