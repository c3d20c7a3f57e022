"""The access log: one append-only entry per read of a client's record, for auditors only.

It is a table of its own (``access_log``), not the clinical event store: reads outnumber
writes by far, and an entry per read must neither contend with clinical writers' table lock
nor reach the ``care.>`` subjects that projections and subscribers follow. Rows are the
``ClientRecordRead`` events of the catalog; triggers refuse UPDATE, DELETE and TRUNCATE.

Writes are group-committed: concurrent reads enqueue their entries and one writer inserts
whatever is waiting in one statement, then releases every waiting read. A read returns only
after its entry is durable, so a failing log fails the read rather than losing the entry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from carecoord.events.access import ClientRecordRead

log = logging.getLogger("carecoord.access_log")

TABLE = "access_log"
BATCH_MAX = 500
DDL = (
    "SELECT pg_advisory_xact_lock(hashtext('carecoord.access_log'))",
    """CREATE TABLE IF NOT EXISTS access_log (
        seq bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        client_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_id text NOT NULL,
        actor_role text NOT NULL,
        operation text NOT NULL,
        outcome text NOT NULL,
        basis text NOT NULL,
        correlation_id uuid NOT NULL,
        event jsonb NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS access_log_client ON access_log (client_id, seq)",
    "CREATE INDEX IF NOT EXISTS access_log_actor ON access_log (actor_id, seq)",
    """CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$""",
    """CREATE OR REPLACE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
        FOR EACH ROW EXECUTE FUNCTION access_log_append_only()""",
    """CREATE OR REPLACE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
        FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()""",
)
COLUMNS = (
    "event_id",
    "client_id",
    "occurred_at",
    "actor_id",
    "actor_role",
    "operation",
    "outcome",
    "basis",
    "correlation_id",
    "event",
)


def row(entry: ClientRecordRead) -> tuple[Any, ...]:
    return (
        entry.event_id,
        entry.client_id,
        entry.occurred_at,
        entry.actor.id,
        entry.actor.role.value,
        entry.operation,
        entry.outcome.value,
        entry.basis.value,
        entry.correlation_id,
        entry.model_dump_json(),
    )


_COPY = sql.SQL("COPY {} ({}) FROM STDIN").format(
    sql.Identifier(TABLE), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
)


async def ensure_table(conn: AsyncConnection) -> None:
    async with conn.transaction():
        for statement in DDL:
            await conn.execute(statement)


_Waiting = tuple[ClientRecordRead, "asyncio.Future[None]"]


class AccessLog:
    """The group-committing writer of one process; ``run`` is its task."""

    def __init__(self, pool: AsyncConnectionPool, *, batch_max: int = BATCH_MAX) -> None:
        self._pool = pool
        self._batch_max = batch_max
        self._queue: asyncio.Queue[_Waiting] = asyncio.Queue()
        self._ready = asyncio.Event()
        self._failure: BaseException | None = None
        self.written = 0

    async def append(self, entry: ClientRecordRead) -> None:
        """Return once ``entry`` is stored; raise if it could not be."""
        await self._ready.wait()
        if self._failure is not None:
            raise RuntimeError("the access log is unavailable") from self._failure
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((entry, done))
        await done

    async def run(self) -> None:
        try:
            async with self._pool.connection() as conn:
                await ensure_table(conn)
        except Exception as failure:
            log.exception("access log table could not be prepared")
            self._failure = failure
            raise
        finally:
            self._ready.set()
        batch: list[_Waiting] = []
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._batch_max and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self._commit(batch)
        finally:
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            for _, done in batch:
                if not done.done():
                    done.cancel()

    async def _commit(self, batch: list[_Waiting]) -> None:
        try:
            await self._write([entry for entry, _ in batch])
        except Exception as failure:
            log.exception("access log write failed", extra={"entries": len(batch)})
            for _, done in batch:
                if not done.done():
                    done.set_exception(failure)
            return
        self.written += len(batch)
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    async def _write(self, entries: Sequence[ClientRecordRead]) -> None:
        async with (
            self._pool.connection() as conn,
            conn.cursor() as cur,
            cur.copy(_COPY) as copy,
        ):
            for entry in entries:
                await copy.write_row(row(entry))


@dataclass(frozen=True, slots=True)
class LoggedRead:
    seq: int
    entry: ClientRecordRead


async def entries(
    pool: AsyncConnectionPool,
    *,
    client_id: UUID | None,
    actor_id: str | None,
    after: int,
    limit: int,
    since: datetime | None = None,
) -> list[LoggedRead]:
    """Entries in log order, for an auditor's query."""
    where = [sql.SQL("seq > %s")]
    params: list[Any] = [after]
    if client_id is not None:
        where.append(sql.SQL("client_id = %s"))
        params.append(client_id)
    if actor_id is not None:
        where.append(sql.SQL("actor_id = %s"))
        params.append(actor_id)
    if since is not None:
        where.append(sql.SQL("occurred_at >= %s"))
        params.append(since)
    params.append(limit)
    query = sql.SQL("SELECT seq, event FROM {} WHERE {} ORDER BY seq LIMIT %s").format(
        sql.Identifier(TABLE), sql.SQL(" AND ").join(where)
    )
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(query, params)
        rows = await cur.fetchall()
    return [LoggedRead(r["seq"], ClientRecordRead.model_validate(r["event"])) for r in rows]
