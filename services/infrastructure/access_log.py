"""The access log: one append-only entry per read of a client's record, for auditors only.

It is a table of its own (``access_log``), not the clinical event store: reads outnumber
writes by far, and an entry per read must neither contend with clinical writers' table lock
nor reach the ``care.>`` subjects that projections and subscribers follow. Rows are the
``ClientRecordRead`` events of the catalog; triggers refuse UPDATE, DELETE and TRUNCATE.

Writes are group-committed: concurrent reads enqueue their entries and one writer inserts
whatever is waiting in one statement, then releases every waiting read. A read returns only
after its entry is committed, so a failing log fails the read rather than losing the entry.

How durable that commit is before the read returns is the deployment's choice
(``Flush``): the WAL flush of a commit took 0.85 ms at the median, 93 ms at the 99th
percentile and 238 ms at worst on the disks measured, and a page held back for it was the
whole tail of the read latency; committed without waiting for it, the entry is flushed by
the WAL writer within ~0.6 s and lost only if the database server itself crashes in that
window.

Entries are hash-chained (``services/infrastructure/access_chain.py``): the database extends
the chain a batch at a time (``access_log_append``), under a lock that orders writers of
every process, and ``verify`` walks it.
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
from pydantic import ValidationError

from carecoord.events.access import ClientRecordRead
from carecoord.services.infrastructure.access_chain import (
    FIRST_SEQ,
    GENESIS,
    Broken,
    canonical,
    check,
)
from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.settings import Flush
from carecoord.services.kernel.errors import Altered

log = logging.getLogger("carecoord.access_log")

TABLE = "access_log"
BATCH_MAX = 500
# A batch is linked and inserted by the database, under a lock that orders writers of every
# process, in the one statement that hands it over: the lock is held for the inserts only,
# never across a round trip, and no writer needs to know the chain's head beforehand. The
# link is ``access_chain.link`` (SHA-256 of the previous hash and the entry's canonical
# JSON, which the writer sends as text); ``verify`` recomputes it in Python.
_APPEND_FUNCTION = """CREATE OR REPLACE FUNCTION access_log_append(
        event_ids uuid[], client_ids uuid[], occurred timestamptz[], actor_ids text[],
        actor_roles text[], operations text[], outcomes text[], bases text[],
        correlation_ids uuid[], bodies text[], durable boolean)
    RETURNS void LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
        prev bytea;
        prevs bytea[] := '{}';
        hashes bytea[] := '{}';
    BEGIN
        IF NOT durable THEN
            PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('carecoord.access_log.chain'));
        SELECT hash INTO prev FROM access_log ORDER BY seq DESC LIMIT 1;
        prev := coalesce(prev, '\\x{genesis}'::bytea);
        FOR i IN 1 .. cardinality(event_ids) LOOP
            prevs := prevs || prev;
            prev := sha256(prev || convert_to(bodies[i], 'UTF8'));
            hashes := hashes || prev;
        END LOOP;
        INSERT INTO access_log (event_id, client_id, occurred_at, actor_id, actor_role,
            operation, outcome, basis, correlation_id, event, prev_hash, hash)
        SELECT e, c, o, a, r, op, oc, b, cr, body::jsonb, p, h
        FROM unnest(event_ids, client_ids, occurred, actor_ids, actor_roles, operations,
                    outcomes, bases, correlation_ids, bodies, prevs, hashes)
             WITH ORDINALITY AS batch(e, c, o, a, r, op, oc, b, cr, body, p, h, n)
        ORDER BY n;
    END $$""".replace("{genesis}", GENESIS.hex())
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
        event jsonb NOT NULL,
        prev_hash bytea,
        hash bytea)""",
    # Tables made before the hash chain: their older rows stay unchained (see ``verify``).
    "ALTER TABLE access_log ADD COLUMN IF NOT EXISTS prev_hash bytea",
    "ALTER TABLE access_log ADD COLUMN IF NOT EXISTS hash bytea",
    "CREATE INDEX IF NOT EXISTS access_log_client ON access_log (client_id, seq)",
    "CREATE INDEX IF NOT EXISTS access_log_actor ON access_log (actor_id, seq)",
    """CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$""",
    """CREATE OR REPLACE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
        FOR EACH ROW EXECUTE FUNCTION access_log_append_only()""",
    """CREATE OR REPLACE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
        FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()""",
    _APPEND_FUNCTION,
)
# Each column with its type: the append function takes a batch as one array per column.
COLUMN_TYPES = {
    "event_id": "uuid",
    "client_id": "uuid",
    "occurred_at": "timestamptz",
    "actor_id": "text",
    "actor_role": "text",
    "operation": "text",
    "outcome": "text",
    "basis": "text",
    "correlation_id": "uuid",
}
COLUMNS = (*COLUMN_TYPES, "event", "prev_hash", "hash")
# Binary parameters (``%b``): as text, each quote of an entry's JSON was escaped for the
# array literal, a regular-expression substitution per character, 68 an entry. Composed
# once: a ``Composed`` is joined again at every execution.
_APPEND = (
    sql.SQL("SELECT access_log_append({}, %b::text[], %b::boolean)")
    .format(sql.SQL(", ").join(sql.SQL("%b::" + t + "[]") for t in COLUMN_TYPES.values()))
    .as_string()
)
VERIFY_PAGE = 5000
SEQ_MIN = -(2**63)
"""The least seq a row can have (a bigint)."""


def columns(entry: ClientRecordRead) -> tuple[Any, ...]:
    """The indexed columns of an entry: all derived from the entry itself."""
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
    )


async def ensure_table(conn: AsyncConnection) -> None:
    async with conn.transaction():
        for statement in DDL:
            await conn.execute(statement)


_Waiting = tuple[ClientRecordRead, "asyncio.Future[None]"]
LOOP = "access-log"
"""The writer's name among the process's loops (``/health``)."""


class AccessLog:
    """The group-committing writer of one process; ``run`` is its task.

    With ``liveness`` it is the process's ``access-log`` loop: a batch it holds unwritten
    (the log's table locked, a lock on the chain held) makes ``/health`` say it is stuck, as
    a projector waiting on a lock does, since every read waits on its entry; it read ``ok``
    while no read could be answered."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        *,
        batch_max: int = BATCH_MAX,
        flush: Flush = "committed",
        liveness: Liveness | None = None,
    ) -> None:
        self._pool = pool
        self._batch_max = batch_max
        self._durable = flush == "flushed"
        self._liveness = liveness
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
        if self._liveness is not None:
            self._liveness.working(LOOP)
        try:
            await self._write([entry for entry, _ in batch])
        except Exception as failure:
            log.exception("access log write failed", extra={"entries": len(batch)})
            if self._liveness is not None:
                self._liveness.let_go(LOOP, failure)
            for _, done in batch:
                if not done.done():
                    done.set_exception(failure)
            return
        if self._liveness is not None:
            self._liveness.progressed(LOOP)
        self.written += len(batch)
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    async def _write(self, entries: Sequence[ClientRecordRead]) -> None:
        """One batch in one statement, committed by itself: its columns, one array each,
        and each entry's canonical JSON, which the database links to the chain's head. A
        transaction of statements took two round trips at best (six with COPY), holding
        the chain's lock across them against every other process's writer."""
        indexed = zip(*map(columns, entries), strict=True)
        bodies = [canonical(entry.model_dump(mode="json")).decode() for entry in entries]
        async with autocommitted(self._pool) as conn:
            await conn.execute(_APPEND, [*map(list, indexed), bodies, self._durable])


@dataclass(frozen=True, slots=True)
class LoggedRead:
    seq: int
    entry: ClientRecordRead
    hash: bytes | None = None


async def entries(
    pool: AsyncConnectionPool,
    *,
    client_id: UUID | None,
    actor_id: str | None,
    after: int,
    limit: int,
    since: datetime | None = None,
    through: int | None = None,
    before: datetime | None = None,
    among: Sequence[UUID] | None = None,
) -> list[LoggedRead]:
    """Entries in log order, for an auditor's query; with ``through``, none after that seq
    (a head read before paging: the pages' own entries come after it); with ``since`` and
    ``before``, those made in that period alone; with ``among``, those about these clients
    alone (an auditor's program's)."""
    where = [sql.SQL("seq > %s")]
    params: list[Any] = [after]
    if through is not None:
        where.append(sql.SQL("seq <= %s"))
        params.append(through)
    if client_id is not None:
        where.append(sql.SQL("client_id = %s"))
        params.append(client_id)
    if among is not None:
        where.append(sql.SQL("client_id = ANY(%s)"))
        params.append(list(among))
    if actor_id is not None:
        where.append(sql.SQL("actor_id = %s"))
        params.append(actor_id)
    if since is not None:
        where.append(sql.SQL("occurred_at >= %s"))
        params.append(since)
    if before is not None:
        where.append(sql.SQL("occurred_at < %s"))
        params.append(before)
    params.append(limit)
    query = sql.SQL("SELECT seq, event, hash FROM {} WHERE {} ORDER BY seq LIMIT %s").format(
        sql.Identifier(TABLE), sql.SQL(" AND ").join(where)
    )
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(query, params)
        rows = await cur.fetchall()
    return [LoggedRead(r["seq"], _read(r["seq"], r["event"]), _bytes(r["hash"])) for r in rows]


_CHAINED_FROM = sql.SQL(
    "SELECT greatest({first}, coalesce((SELECT min(seq) FROM {t} WHERE hash IS NOT NULL),"
    " (SELECT max(seq) + 1 FROM {t}), {first}))"
).format(first=sql.Literal(FIRST_SEQ), t=sql.Identifier(TABLE))
_HAS_CHAIN = (
    "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(%s)"
    " AND attname = 'hash' AND NOT attisdropped)"
)


_CHAIN_HEAD = sql.SQL(
    "SELECT seq, hash FROM {} WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1"
).format(sql.Identifier(TABLE))


async def _has_chain(conn: AsyncConnection) -> bool:
    found = await (await conn.execute(_HAS_CHAIN, (TABLE,))).fetchone()
    return bool(found and found[0])


async def chained_from(conn: AsyncConnection) -> int | None:
    """The seq from which every entry is chained: the first chained entry's, or the next
    entry's while none is (entries from before the chain come before it); None while no
    log with the chain's columns is stored. Anchored outside the database, it holds the
    log to its chain: entries whose hashes were all removed read as from before the chain,
    unchecked, and verified intact."""
    if not await _has_chain(conn):
        return None
    row = await (await conn.execute(_CHAINED_FROM)).fetchone()
    return int(row[0]) if row else None


async def chain_head(conn: AsyncConnection) -> tuple[int, bytes] | None:
    """The newest chained entry's seq and hash; None while there is none (or no log with
    the chain's columns). Anchored outside the database, it holds the log's tail: with the
    newest entries removed, or one rewritten and every hash after it recomputed, the chain
    left holds together. Read as the relay anchors, never on the read path."""
    if not await _has_chain(conn):
        return None
    row = await (await conn.execute(_CHAIN_HEAD)).fetchone()
    return None if row is None else (int(row[0]), bytes(row[1]))


async def head(pool: AsyncConnectionPool) -> int:
    """The seq of the newest entry (0 for none). Entries are numbered and committed one
    batch at a time under the chain's lock, so every entry up to it is there to read."""
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                sql.SQL("SELECT coalesce(max(seq), 0) FROM {}").format(sql.Identifier(TABLE))
            )
        ).fetchone()
    return int(row[0]) if row else 0


def _read(seq: int, body: dict[str, Any]) -> ClientRecordRead:
    """The entry at ``seq``; one altered into no entry is refused by its seq, so the auditor
    learns where (``verify`` tells how) and reads on past it with ``after``."""
    try:
        return _entry(body)
    except ValueError:
        raise Altered(
            "after",
            "entry-unreadable",
            f"access-log entry {seq} does not read as an entry: it was altered"
            f" (verifyAccessLog names the break); read on with after: {seq}",
            {"seq": seq},
        ) from None


@dataclass(frozen=True, slots=True)
class Verification:
    """What walking the chain found: entries checked, the head to keep, the first break.

    The head is one entry, broken chain or not: the last one verified intact (``head_seq``)
    and its own hash (``head_hash``); seq 0 and the genesis when none was.
    """

    checked: int
    unchained: int
    head_seq: int
    head_hash: bytes
    broken: Broken | None


_PAGE = sql.SQL(
    "SELECT seq, prev_hash, hash, event, {} FROM {} WHERE seq >= %s ORDER BY seq LIMIT %s"
).format(sql.SQL(", ").join(map(sql.Identifier, COLUMNS[:-3])), sql.Identifier(TABLE))


async def verify(pool: AsyncConnectionPool, *, page: int = VERIFY_PAGE) -> Verification:
    """Walk the whole log in order; stop at the first entry whose link does not hold."""
    async with pool.connection() as conn:
        return await walk(conn, page=page)


async def walk(
    conn: AsyncConnection,
    *,
    page: int = VERIFY_PAGE,
    kept: tuple[int, bytes] | None = None,
    chained_from: int | None = None,
    anchored: Sequence[tuple[int, bytes]] = (),
) -> Verification:
    """``verify`` on one connection (``carecoord audit verify`` holds no pool); with
    ``kept``, a head an earlier verification reported (seq and hash), which the chain must
    still pass through: removing the newest entries leaves a shorter chain that holds.

    Rows written before the chain existed (no hash, at the start of the log) are counted as
    unchained; a row without a hash after the chain began is a break, and so is a row below
    the first seq (the walk starts at the least a bigint holds, not after 0: ``accessLog``
    with a negative ``after`` reads such rows). With ``chained_from`` (anchored, see
    ``chained_from``), a row there or later without a hash is a break too, first or not.
    Each head in ``anchored`` (``chain_head`` as the relay anchored it) must still be an
    entry of the chain with its hash (``rewritten`` where it is not, ``truncated`` where the
    log ends before it).
    """
    prev, good, start, checked, unchained, holds = GENESIS, 0, SEQ_MIN, 0, 0, 0
    pending = sorted(set(anchored))
    at_kept = GENESIS if kept is not None and kept[0] == 0 else None
    while True:
        rows = await (await conn.execute(_PAGE, (start, page))).fetchall()
        for seq, stored_prev, stored_hash, body, *stored in rows:
            start = seq + 1
            if stored_hash is None and checked == 0 and seq >= FIRST_SEQ:
                if chained_from is None or seq < chained_from:
                    unchained += 1
                    continue
                return Verification(checked, unchained, good, prev, unhashed(seq, chained_from))
            broken = check(seq, prev, _bytes(stored_prev), _bytes(stored_hash), body)
            if broken is None:
                broken = _columns_differ(seq, body, tuple(stored))
            while broken is None and pending and pending[0][0] <= seq:
                head = pending.pop(0)
                broken = anchored_holds(head, seq, _bytes(stored_hash), holds)
                holds = head[0] if broken is None else holds
            if broken is not None:
                return Verification(checked, unchained, good, prev, broken)
            prev, good = bytes(stored_hash), seq
            checked += 1
            if kept is not None and seq == kept[0]:
                at_kept = prev
        if len(rows) < page:
            held = None if kept is None else passes(kept, at_kept, good)
            if held is None and pending:
                held = anchored_beyond(pending[-1][0], good)
            return Verification(checked, unchained, good, prev, held)


def unhashed(seq: int, chained_from: int) -> Broken:
    """Entry ``seq`` has no hash, though the anchors say the chain began by then."""
    text = f"entry {seq} carries no hash, yet the chain was anchored as begun at entry"
    return Broken(seq, "unchained", f"{text} {chained_from}: its hash was removed")


def anchored_holds(
    head: tuple[int, bytes], seq: int, found: bytes | None, held: int
) -> Broken | None:
    """Whether the anchored ``head`` holds against entry ``seq`` of an intact chain, the
    first at or past it, whose hash is ``found``: an entry past it means it is gone.
    ``held`` is the last anchored head that still holds (0: none), after which the rewrite
    began: each hash vouches for every entry before it."""
    since = f" after entry {held} (its anchor still holds)" if held else ""
    if head[0] != seq:
        text = f"no entry {head[0]} is on the chain, which was anchored as its head"
        return Broken(head[0], "rewritten", f"{text}: the log was rewritten{since} without it")
    if found != head[1]:
        text = f"entry {seq} no longer has the hash anchored as its head"
        return Broken(seq, "rewritten", f"{text}: the log was rewritten{since} up to it")
    return None


def anchored_beyond(seq: int, last: int) -> Broken:
    """The log ends at entry ``last``, before ``seq`` was anchored as its head."""
    text = f"the log ends at entry {last}, before entry {seq} anchored as its head"
    return Broken(seq, "truncated", f"{text}: the newest entries were removed")


def passes(kept: tuple[int, bytes], found: bytes | None, last: int) -> Broken | None:
    """Whether an intact chain ending at entry ``last`` passes through the head ``kept``,
    whose entry hashes to ``found`` (None: no such entry)."""
    seq, hashed = kept
    if seq > last:
        text = f"the log ends at entry {last}, before entry {seq} kept as its head"
        return Broken(seq, "truncated", f"{text}: the newest entries were removed")
    if found is None:
        text = f"no entry {seq} is stored, which was kept as the head"
        return Broken(seq, "rewritten", f"{text}: the log was rewritten without it")
    if found != hashed:
        text = f"entry {seq} no longer has the hash kept as the head"
        return Broken(seq, "rewritten", f"{text}: the log was rewritten up to it")
    return None


def _columns_differ(seq: int, body: dict[str, Any], stored: tuple[Any, ...]) -> Broken | None:
    """Whether the indexed columns are the entry's; an entry altered into something that is
    no entry (and hashed again) has none to match."""
    try:
        entry = _entry(body)
    except ValidationError:
        return Broken(seq, "columns", f"entry {seq} is no longer an access-log entry")
    if stored != columns(entry):
        return Broken(seq, "columns", f"entry {seq}'s columns differ from it")
    return None


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)


def _entry(body: dict[str, Any]) -> ClientRecordRead:
    return ClientRecordRead.from_stored(body)
