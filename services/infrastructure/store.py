"""The event store: the eventsourcing library on PostgreSQL, speaking the event catalog.

Stored topics are catalog names (``medication.DoseAdministered``), not Python paths, so
modules can move without an upcast; the body is the event's JSON, encrypted when a key
is configured. The library's notification log numbers every event: that number is the
global position the relay, projections and read-your-writes all count in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Container, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any, TypeVar, cast
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    InterfaceError,
    Mapper,
    OperationalError,
    Recording,
    StoredEvent,
)
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment, EnvType, get_topic, retry
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from carecoord.events import CareEvent, Role, catalog
from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure import decided_on, event_chain
from carecoord.services.infrastructure.idempotency import (
    SAVE_KWARG,
    IdempotencyKey,
    Keeping,
    Kept,
    Scope,
    decode_result,
    encode_result,
)
from carecoord.services.infrastructure.liveness import error_code
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.aggregate import Aggregate, Recorded, aggregate_id
from carecoord.services.kernel.errors import Unavailable
from carecoord.services.users.access import access_record

log = logging.getLogger("carecoord.store")

A = TypeVar("A", bound=Aggregate)


class CatalogMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        recorded = cast("Recorded", domain_event)
        return StoredEvent(
            originator_id=recorded.originator_id,
            originator_version=recorded.originator_version,
            topic=type_name(type(recorded.event)),
            state=self.seal(catalog.encode(recorded.event)),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return Recorded(
            originator_id=cast("UUID", stored_event.originator_id),
            originator_version=stored_event.originator_version,
            event=self.open(stored_event.topic, stored_event.state),
        )

    def seal(self, payload: bytes) -> bytes:
        if self.compressor:
            payload = self.compressor.compress(payload)
        if self.cipher:
            payload = self.cipher.encrypt(payload)
        return payload

    def unseal(self, state: bytes) -> bytes:
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        return state

    def open(self, topic: str, state: bytes) -> CareEvent:
        return catalog.decode(topic, self.unseal(state))


def of_a_later_release(cls: type[Aggregate], client_id: UUID) -> Unavailable:
    """A record holding an event this release cannot read (a later release recorded it and
    was rolled back), refused as unavailable, naming the record and never the event: it
    was an internal error, as if the platform were broken, where running that release again
    (or this one once it reads the event) is what writes to the record."""
    return Unavailable(
        "clientId",
        "record-of-later-release",
        f"client {client_id}'s {cls.context} record holds an event of a later release than"
        " this one reads; nothing is recorded on it until that release runs",
    )


CONNINFO = "POSTGRES_CONNINFO"
"""The store's environment key holding the whole DATABASE_URL (``WholeUrlFactory``)."""


class WholeUrlFactory(PostgresFactory):
    """The library's PostgreSQL factory, its connections made from the whole DATABASE_URL.
    The library connects with the host, port, database, user and password alone: an
    ``sslmode=require`` (a root certificate, ``options``, ``target_session_attrs``) was
    dropped from the store's connections, which carry every event, and a server without
    TLS took them in clear text while the platform's own pools refused it."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.datastore.pool.conninfo = self.env.get(CONNINFO) or ""


def store_env(settings: Settings) -> dict[str, str]:
    """Translate our settings into the library's environment keys."""
    assert settings.database_url, "database_url is resolved before the store is built"
    info = conninfo_to_dict(settings.database_url)
    kept_open = max(1, settings.db_pool_size // 2)
    env = {
        "PERSISTENCE_MODULE": get_topic(WholeUrlFactory),
        CONNINFO: settings.database_url,
        "POSTGRES_DBNAME": str(info.get("dbname", "postgres")),
        "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(info.get("port", "5432")),
        "POSTGRES_USER": str(info.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(info.get("password", "")),
        # Half the pool kept open, the rest opened under load: at most db_pool_size, as the
        # platform's own pool (the library's default overflow of 10 more let two API
        # workers, a relay and a projector pass a server's 100 connections at once).
        "POSTGRES_POOL_SIZE": str(kept_open),
        "POSTGRES_MAX_OVERFLOW": str(settings.db_pool_size - kept_open),
        "CREATE_TABLE": "y",
        # Our recorder: the library's, also keeping idempotency keys in the events'
        # transaction and checking what the batch decided on (``decided_on.py``).
        "APPLICATION_RECORDER_TOPIC": get_topic(decided_on.DecisionRecorder),
        # No check before each use: psycopg_pool backs off 1, 2, 4 ... s between failed
        # checks, so after a PostgreSQL restart a pool of dead connections held the writer
        # for 34 s. The library retries a statement on a dead connection instead, and the
        # platform drops dead connections as soon as it sees the server go
        # (``EventStore.drop_dead_connections``).
        "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
        # Our writer is the only mutator of cached aggregates and a conflicting writer
        # elsewhere surfaces as an integrity error on save, so no read before each command.
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    return env


@contextmanager
def one_at_a_time(env: Mapping[str, str]) -> Iterator[None]:
    """Hold a session lock, on a connection of its own, while the store is opened."""
    if "POSTGRES_DBNAME" not in env:
        yield
        return
    with psycopg.connect(
        env.get(CONNINFO, ""),
        dbname=env["POSTGRES_DBNAME"],
        host=env.get("POSTGRES_HOST"),
        port=env.get("POSTGRES_PORT"),
        user=env.get("POSTGRES_USER"),
        password=env.get("POSTGRES_PASSWORD") or None,
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('carecoord.store-open'))")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('carecoord.store-open'))")


_CATCH_UP = sql.SQL(
    "SELECT e.originator_id, e.originator_version, e.topic, e.state"
    " FROM unnest(%s::uuid[], %s::int[]) AS cached(id, version)"
    " JOIN {}.{} AS e ON e.originator_id = cached.id AND e.originator_version > cached.version"
    " ORDER BY e.originator_id, e.originator_version"
)


_WRITTEN_SINCE = sql.SQL(
    "SELECT EXISTS (SELECT 1 FROM unnest(%s::uuid[], %s::int[]) AS read(id, version)"
    " JOIN {}.{} AS e ON e.originator_id = read.id AND e.originator_version > read.version)"
    " AS written"
)

_WRITERS_DONE = sql.SQL("LOCK TABLE {}.{} IN SHARE MODE")

_read_again = retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
"""The library's own reads' retry, for the reads a batch of commands makes before it
decides: one on a connection that died (a restart, a terminated backend) failed its
commands, though nothing was decided, where the library's reads are asked again."""


class EventStore(Application[UUID]):
    name = "carecoord"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # One process opens the store at a time: processes starting together raced on the
        # library's own CREATE statements ("tuple concurrently updated").
        with one_at_a_time(env or {}):
            super().__init__(env)
            # The hash chain's columns and triggers before this process reads the table:
            # added later by another process, they would change the result type of the
            # library's prepared SELECT * and its next read would fail.
            with self.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
                event_chain.install(conn)
        self._behind: dict[UUID, int] = {}
        """Cached aggregates another process has written since: the version it stored."""
        self._behind_lock = threading.Lock()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(mapper_class=CatalogMapper)

    @property
    def catalog_mapper(self) -> CatalogMapper:
        return cast("CatalogMapper", self.mapper)

    def load(self, cls: type[A], client_id: UUID) -> A:
        """The aggregate for this client in this context; a new, empty one if none yet.

        A cached one that another process has written since (``advanced``) and that
        ``catch_up`` did not bring up to date (heard in between) first reads the events it
        lacks, so the decision is taken on the stored state and its save does not conflict.
        """
        try:
            return self._load(cls, client_id)
        except (catalog.LaterVersion, catalog.UnknownEventType):
            raise of_a_later_release(cls, client_id) from None

    def _load(self, cls: type[A], client_id: UUID) -> A:
        aid = aggregate_id(cls.context, client_id)
        try:
            aggregate = self.repository.get(
                aid, projector_func=cls.replay, deepcopy_from_cache=False
            )
        except AggregateNotFoundError:
            return cls(client_id)
        if not isinstance(aggregate, cls):
            # Records of one context share ids (a site's stock, its lots' draws): the cache
            # held the other record, read once under this id (a client enrolled under a
            # lot's id), and every dose drawn from that lot was an internal error after.
            history = cast("Iterator[Recorded]", self.repository.event_store.get(aid))
            return cls.replay(None, history) or cls(client_id)
        with self._behind_lock:
            stored = self._behind.pop(aid, 0)
        if aggregate.version < stored and not aggregate.pending:
            newer = self.repository.event_store.get(aid, gt=aggregate.version)
            cls.replay(aggregate, cast("Iterator[Recorded]", newer))
        return aggregate

    def catch_up(self) -> None:
        """Every cached aggregate another process has written since (``advanced``) reads the
        events it lacks, all in one statement: the writer's commands then load them as
        they are. One read per record, as each command loaded it, was most of what a second
        API process added to a command (2 processes: 640 -> 700 commands/s here)."""
        cache = self.repository.cache
        with self._behind_lock:
            behind = dict(self._behind)
        if cache is None or not behind:
            return
        stale: dict[UUID, Aggregate] = {}
        for aid, version in behind.items():
            with suppress(KeyError):
                cached = cast("Aggregate", cache.get(aid))
                if cached.version < version and not cached.pending:
                    stale[aid] = cached
        broken: set[UUID] = set()
        for stored in self._lacking(stale) if stale else ():
            aid = cast("UUID", stored.originator_id)
            if aid in broken:
                continue
            try:
                recorded = cast("Recorded", self.mapper.to_domain_event(stored))
                type(stale[aid]).replay(stale[aid], [recorded])
            except Exception as failure:  # one record's, not the batch's: see ``_set_apart``
                self._set_apart(aid, failure)
                broken.add(aid)
        with self._behind_lock:  # what was heard meanwhile stays for the next one
            for aid, version in behind.items():
                if self._behind.get(aid) == version:
                    del self._behind[aid]

    def _set_apart(self, aggregate_id: UUID, failure: Exception) -> None:
        """A stored event of this record no longer decodes or applies: the record leaves the
        cache (half caught up, it is no state at all) and is read whole at its next load,
        which fails that command alone, as before a batch caught its records up."""
        self.evict(aggregate_id)
        log.warning(
            "cached record could not catch up; it is read whole at its next load",
            extra={"aggregate_id": str(aggregate_id), "error": error_code(failure)},
        )

    @_read_again
    def _lacking(self, stale: Mapping[UUID, Aggregate]) -> list[StoredEvent]:
        recorder = self.recorder
        statement = _CATCH_UP.format(
            sql.Identifier(recorder.datastore.schema),  # type: ignore[attr-defined]
            sql.Identifier(recorder.events_table_name),  # type: ignore[attr-defined]
        )
        ids = list(stale)
        with recorder.datastore.get_connection() as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(statement, (ids, [stale[a].version for a in ids]), prepare=True)
            rows = cur.fetchall()
        return [
            StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
            for r in rows
        ]

    @_read_again
    def written_since(self, read: Mapping[UUID, int]) -> bool:
        """Whether any aggregate of ``read`` (by id, the version read) has a later version
        stored: one another process wrote that this one has not heard of yet."""
        if not read:
            return False
        recorder = self.recorder
        statement = _WRITTEN_SINCE.format(
            sql.Identifier(recorder.datastore.schema),  # type: ignore[attr-defined]
            sql.Identifier(recorder.events_table_name),  # type: ignore[attr-defined]
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(statement, (list(read), list(read.values())), prepare=True)
            row = cur.fetchone()
        return bool(row and row["written"])

    def advanced(self, aggregate_id: UUID, version: int) -> None:
        """Thread-safe: another writer stored ``version`` of this aggregate. A cached copy
        behind it catches up at its next ``load``; one not cached is read whole anyway."""
        cache = self.repository.cache
        if cache is None:
            return
        try:
            cached = cache.get(aggregate_id)
        except KeyError:
            return
        if cached.version < version:
            with self._behind_lock:
                self._behind[aggregate_id] = max(self._behind.get(aggregate_id, 0), version)

    def evict(self, *aggregate_ids: UUID) -> None:
        cache = self.repository.cache
        if cache is not None:
            for aid in aggregate_ids:
                with suppress(KeyError):
                    cache.get(aid, evict=True)
        with self._behind_lock:
            for aid in aggregate_ids:
                self._behind.pop(aid, None)

    def record(
        self,
        events: Sequence[Recorded],
        aggregates: Sequence[Aggregate],
        keeping: Sequence[Keeping[object]] = (),
    ) -> Sequence[Recording[UUID]]:
        """Store ``events`` in this order in one transaction; cache the aggregates they changed.

        Each of ``keeping`` names a keyed command among ``events``: its key, outcome and
        result are kept in the same transaction (see ``services/infrastructure/idempotency.py``).
        Each of ``aggregates`` with nothing to save was only read: the transaction fails as
        a conflict if it has been written since (``decided_on.py``); and it fails, refused
        (``decided_on.SUSPENDED``), if the user of one of ``events`` is suspended by then.
        """
        read = {a.id: a.version for a in aggregates if not a.pending}
        seal = self.catalog_mapper.seal
        rows = [replace(k, result=seal(encode_result(k.result))) for k in keeping]
        # What ``save`` would do, without its runtime protocol checks of every event and
        # aggregate (a tenth of the writer thread's time): the events are collected here,
        # and this store takes no snapshots and has no subscribers of its own to notify.
        processing = ProcessingEvent[UUID]()
        processing.events.extend(events)
        for aggregate in aggregates:
            aggregate.collect_events()
            processing.aggregates[aggregate.id] = aggregate
        if rows:
            self._our_recorder("idempotency keys")  # before anything is saved without them
            processing.saved_kwargs[SAVE_KWARG] = rows
        if read and processing.events:
            self._our_recorder("checks of the records a batch read")
            processing.saved_kwargs[decided_on.SAVE_KWARG] = read
        actors = {e.event.actor.id for e in events if e.event.actor.role is not Role.SYSTEM}
        acting = frozenset(map(access_record, actors))  # a batch's users, each once
        if acting:
            self._our_recorder("checks of the actors' suspensions")
            processing.saved_kwargs[decided_on.ACTING_KWARG] = acting
        return self._record(processing)

    def kept(self, keys: Sequence[IdempotencyKey]) -> dict[Scope, Kept]:
        """The first outcomes of these keys, for those already kept."""
        if not keys:
            return {}
        rows = self._our_recorder("idempotency keys").select_keys([k.scope for k in keys])
        unseal = self.catalog_mapper.unseal
        return {
            (row["actor_id"], row["actor_role"], row["key"]): Kept(
                result=decode_result(unseal(bytes(row["result"]))),
                position=row["position"],
                event_ids=tuple(row["event_ids"]),
                digest=row["request_digest"],
            )
            for row in rows
        }

    def _our_recorder(self, needs: str) -> decided_on.DecisionRecorder:
        recorder = self.recorder
        if not isinstance(recorder, decided_on.DecisionRecorder):
            raise TypeError(f"{needs} need the store built with store_env()")
        return recorder

    def read(self, after: int, limit: int, topics: Sequence[str] = ()) -> list[Positioned]:
        """Events after a global position, in order (the relay's and rebuilds' input); of
        ``topics`` alone when given (catalog names, ``therapy.SessionScheduled``)."""
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, topics=topics, inclusive_of_start=False
        )
        mapper = self.catalog_mapper
        return [Positioned(n.id, mapper.open(n.topic, n.state)) for n in notifications]

    def writers_done(self) -> None:
        """Wait until every transaction storing events now, in any process, has ended: each
        holds the table's EXCLUSIVE lock from its ``LOCK TABLE`` (the library's insert) to
        its commit, or waits its turn for it, and a SHARE lock is granted after them (then let
        go at once). What they stored is in the next read. A writer starting later stamped
        its events no earlier than its batch began deciding (``projections/audit/settling.py``
        waits that out first)."""
        with self.recorder.datastore.transaction(commit=False) as cur:  # type: ignore[attr-defined]
            cur.execute(self._writers_done)

    async def writers_done_on(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """``writers_done`` on a connection of the caller's: the API's, whose statements stop
        at its timeout, so an export behind a writer that never commits is answered to
        retry instead of hanging with its request."""
        async with conn.transaction(force_rollback=True):
            await conn.execute(self._writers_done)

    @property
    def _writers_done(self) -> sql.Composed:
        recorder = self.recorder
        return _WRITERS_DONE.format(
            sql.Identifier(recorder.datastore.schema),  # type: ignore[attr-defined]
            sql.Identifier(recorder.events_table_name),  # type: ignore[attr-defined]
        )

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    async def last_position_on(self, conn: psycopg.AsyncConnection[Any]) -> int:
        """``last_position`` on a connection of the caller's (``/health`` reads it on the
        connection it bounds, not on the library's pool, whose wait is 30 s)."""
        statement = self.recorder.max_notification_id_statement  # type: ignore[attr-defined]
        cur = await conn.execute(statement)
        row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    @property
    def pool(self) -> ConnectionPool:
        """The library's pool, the one the command bus's writer saves on."""
        return cast("ConnectionPool", self.recorder.datastore.pool)  # type: ignore[attr-defined]

    def drop_dead_connections(self) -> None:
        """Check the pooled connections at once (after the database went away), so no
        command finds a dead one."""
        self.pool.check()

    @property
    def own_backends(self) -> Container[int]:
        """The server processes this process stored events on: a NOTIFY from one of them is
        a commit of its own (``decided_on.DecisionRecorder``)."""
        recorder = self.recorder
        if isinstance(recorder, decided_on.DecisionRecorder):
            return recorder.own_backends
        return frozenset()

    @property
    def channel(self) -> str:
        """The PostgreSQL NOTIFY channel the library signals on each commit."""
        return str(getattr(self.recorder, "channel_name", ""))
