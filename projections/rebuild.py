"""Rebuild read models from the event store into new generations of tables, then switch
their views without stopping the live projector.

One pass over the store feeds every model being rebuilt: each event is read and decoded
once, however many models there are (a pass per model decoded every event thirteen times,
and decoding was three quarters of the time). A model whose rows each come from one event
alone (``COPIED``) is streamed into its new table with a binary COPY and indexed once full,
its rows decoded, built and formatted by worker processes (``copy_workers.py``) while this
one reads the store and feeds the database; the others are given the events of each page
they read through their own ``apply``, as live. At the end the live
projector's position rows are locked (it waits for the moment), each new generation is
caught up to where its live one is through ``apply``, the views point at the new tables and
the projector carries on there. Old tables are dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, AsyncCopy, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import catalog
from carecoord.events.envelope import type_name
from carecoord.projections.copy_workers import (
    SIGNATURE,
    TRAILER,
    Format,
    Formatted,
    Stored,
    Workers,
    decoded,
)
from carecoord.projections.generations import SCRATCH, Copied
from carecoord.projections.projector import (
    CHANGED,
    GENERATIONS_DDL,
    PROJECTED_CHANNEL,
    REBUILT,
    ReadModel,
    current_generations,
    point_view,
    read_by,
    version,
)
from carecoord.services.infrastructure import parked, positions
from carecoord.services.infrastructure.copy_writer import WithheldWriter
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import Unreadable
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.infrastructure.store import EventStore

log = logging.getLogger("carecoord.rebuild")

PAGE = 1000
"""Events per read. 5,000-event pages (about 2 MB) rebuilt 100,000 events 10-20% slower here
than pages of 500 to 2,000: COPY and the database started later on each page's rows."""

WORKERS = 2
"""Processes decoding and formatting pages for COPY: on two cores, with one a rebuild of
every model over 100,000 events took a fifth longer, and three were no faster than two."""
AHEAD = 4
"""Pages handed to the workers before the first is written: enough to keep both busy."""

Progress = Callable[[int, int], None]
"""Told the position reached and the position the pass goes to, after each page."""

_KNOWN = tuple(type_name(cls) for cls in catalog.event_types())
"""The stored topics of the event types this version decodes."""

_READ = sql.SQL(
    "SELECT notification_id, topic, state FROM {} WHERE notification_id > %s"
    " AND notification_id <= %s ORDER BY notification_id LIMIT %s"
).format(sql.Identifier(TABLE))


@dataclass(frozen=True)
class Rebuilt:
    name: str
    generation: int
    events: int
    position: int
    seconds: float
    """Of the whole rebuild, shared by the models rebuilt together."""
    set_aside: int = 0
    """Stored entries that do not decode, left out and parked as the live projector does."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Filled:
    """How far a pass went: the position reached, the events read, and the entries it set
    aside (in position order)."""

    reached: int
    read: int
    set_aside: list[Unreadable]


@dataclass(frozen=True)
class Target:
    """A read model and the generation of its tables being filled."""

    model: ReadModel
    generation: int

    @property
    def name(self) -> str:
        return self.model.NAME

    @property
    def copied(self) -> Copied | None:
        found: Copied | None = getattr(self.model, "COPIED", None)
        return found


async def rebuild(
    store: EventStore,
    pool: AsyncConnectionPool,
    model: ReadModel,
    *,
    on_progress: Progress | None = None,
) -> Rebuilt:
    """One read model (``carecoord rebuild <model>``)."""
    (done,) = await rebuild_all(store, pool, [model], on_progress=on_progress)
    return done


async def rebuild_all(
    store: EventStore,
    pool: AsyncConnectionPool,
    models: Sequence[ReadModel],
    *,
    on_progress: Progress | None = None,
) -> list[Rebuilt]:
    """``models`` from one pass over the store, switched together; ``RebuildRunning`` at
    once when another rebuild holds one of them."""
    async with alone(pool, "carecoord.rebuild", [model.NAME for model in models], RebuildRunning):
        try:
            return await _rebuild_all(store, pool, models, on_progress)
        except BaseException:  # SIGINT and SIGTERM cancel it: what it filled goes
            await _drop_left_over(pool, models)
            raise


async def _drop_left_over(pool: AsyncConnectionPool, models: Sequence[ReadModel]) -> None:
    """Drop every generation of ``models`` but the live one, as a rebuild does once it has
    switched, for one that ended before (stopped, failed): the tables it filled were left,
    a copy of the model's rows no view pointed at, until the model's next rebuild. A table
    a view points at is never dropped (no CASCADE), whatever the answer to a lost commit."""
    with contextlib.suppress(Exception):  # the database may be why it ended
        async with pool.connection() as conn:
            live = await current_generations(conn, [model.NAME for model in models])
            for model in models:
                target = Target(model, live.get(model.NAME, 1))
                for generation in await _left_over(conn, target):
                    await conn.execute(
                        sql.SQL("DROP TABLE IF EXISTS {}").format(model.table(generation))
                    )


async def _rebuild_all(
    store: EventStore,
    pool: AsyncConnectionPool,
    models: Sequence[ReadModel],
    on_progress: Progress | None,
) -> list[Rebuilt]:
    started = time.perf_counter()
    names = [model.NAME for model in models]
    async with pool.connection() as conn:
        async with conn.transaction():
            await conn.execute(positions.SCHEMA_LOCK)
            await conn.execute(positions.DDL)
            for table in GENERATIONS_DDL:
                await conn.execute(table)
            await conn.execute(parked.DDL)
        old = await current_generations(conn, names)
    targets = [Target(model, old.get(model.NAME, 1) + 1) for model in models]
    head = await asyncio.to_thread(store.last_position)
    await create_generations(pool, targets)
    filled = await fill(store, pool, targets, 0, head, on_progress)
    reached = filled.reached
    async with pool.connection() as conn, conn.transaction():
        # After a projector's start, or before it: one starting meanwhile read the old
        # generation and pointed the view back at the old tables after this switch.
        await conn.execute(positions.SCHEMA_LOCK)
        live = await positions.read_many(conn, names, lock=True)
        # To the store's head, not only to where the live models are: the live projector
        # leaves a model another version built alone (``Projector.handle``), and reads on
        # from where it got, so what was recorded during the fill would be in neither.
        head = await store.last_position_on(conn)
        at = {name: max(reached, live.get(name, 0), head) for name in names}
        more, later = await fill_in(conn, store, targets, reached, at)
        set_aside = [*filled.set_aside, *later]
        for target in targets:
            # As the live projector parks them: /health says so until a fixed version reads
            # them (a rebuild then). What the live model set aside is in the new one now.
            await parked.replaced(conn, target.name, _KNOWN)
            await parked.park_unreadable(conn, target.name, set_aside)
            await conn.execute(
                # An upsert: on a database no projector has set up, there is no row to
                # update, and the projector's later setup would point the view at an
                # empty generation.
                "INSERT INTO projection_generations (name, generation, version)"
                " VALUES (%s, %s, %s) ON CONFLICT (name) DO UPDATE"
                " SET generation = EXCLUDED.generation, version = EXCLUDED.version",
                (target.name, target.generation, version(target.model)),
            )
            await point_view(conn, target.model, target.generation)
        await positions.write_many(conn, at)
        # What readers remembered from the old tables (memberships, grants) goes; then where
        # each model now is, as the projector announces it: a model moved past a stopped
        # projector's position is otherwise unknown to waiting readers until the next event
        # anywhere, and a request waiting for it is refused as catching up.
        # Which version built the views now, first: an API refuses reads of a view another
        # version derived (``progress.Rebuilding``) until told.
        notes = [f"{t.name}{REBUILT}:{version(t.model)}" for t in targets]
        notes += [f"{name}{said}:{p}" for said in (CHANGED, "") for name, p in at.items()]
        await conn.execute(
            "SELECT pg_notify(%s, note) FROM unnest(%s::text[]) AS note", (PROJECTED_CHANNEL, notes)
        )
    crash_point("rebuild-switched")  # the old tables are still there
    async with pool.connection() as conn:
        for target in targets:
            for generation in await _left_over(conn, target):
                await conn.execute(
                    sql.SQL("DROP TABLE IF EXISTS {}").format(target.model.table(generation))
                )
    seconds = time.perf_counter() - started
    done = [
        Rebuilt(
            t.name,
            t.generation,
            filled.read + more[t.name],
            at[t.name],
            seconds,
            len(set_aside),
        )
        for t in targets
    ]
    for one in done:
        log.info(
            "rebuilt",
            extra={
                "read_model": one.name,
                "events": one.events,
                "events_per_second": round(one.rate),
            },
        )
    return done


class RebuildRunning(RuntimeError):
    """Another rebuild of the read model is running: the two would fill, drop and switch
    the same next generation of tables."""

    def __init__(self, name: str) -> None:
        super().__init__(f"another rebuild of {name} is running")
        self.name = name


_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))"


@contextlib.asynccontextmanager
async def alone(
    pool: AsyncConnectionPool,
    work: str,
    names: Sequence[str],
    running: Callable[[str], Exception],
) -> AsyncIterator[None]:
    """Hold each model's lock for ``work`` (a rebuild, a verification) while it runs, on a
    connection of its own (it goes with the process, however it ends); ``running(name)``
    is raised at once when another one holds a model's. Two rebuilds of one model both
    took generation N+1: the second dropped the first's full table and made it anew, the
    first switched the view to that empty one and reported success, and the timeline read
    empty while its position said it had every event."""
    async with await _own_connection(pool) as conn:
        await conn.set_autocommit(True)
        for name in names:
            cur = await conn.execute(_TRY_LOCK, (work, name))
            held = await cur.fetchone()
            if not (held and held[0]):
                raise running(name)
        yield
        # Let go before the connection closes: its server process ends a moment after the
        # close returns, and a rebuild started in that moment was refused as running.
        await conn.execute("SELECT pg_advisory_unlock_all()")


_GENERATIONS = (
    "SELECT substring(tablename FROM '_g([0-9]+)$')::bigint FROM pg_tables"
    " WHERE schemaname = current_schema() AND tablename ~ ('^' || %s || '_g[0-9]+$')"
)


async def generations_of(conn: AsyncConnection, name: str) -> list[int]:
    """The generations read model ``name`` has tables of, live, left over or scratch."""
    cur = await conn.execute(_GENERATIONS, (name,))
    return sorted(generation for (generation,) in await cur.fetchall())


async def _left_over(conn: AsyncConnection, target: Target) -> list[int]:
    """The generations of the target's tables but the one it switched to: the one it
    replaced; one that a rebuild killed after its switch left (a rebuild dropped only the
    generation before its own, so that whole copy of the rows stayed for good); one that an
    interrupted rebuild left half filled. Not a running verification's scratch tables."""
    return [
        generation
        for generation in await generations_of(conn, target.name)
        if generation != target.generation and generation < SCRATCH
    ]


async def create_generations(pool: AsyncConnectionPool, targets: Sequence[Target]) -> None:
    """Empty tables for ``targets``; those filled by COPY are indexed once full."""
    async with pool.connection() as conn:
        for target in targets:
            await conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {}").format(target.model.table(target.generation))
            )
            table, *indexes = target.model.ddl(target.generation)
            await conn.execute(table)
            if target.copied is None:
                for statement in indexes:
                    await conn.execute(statement)


async def fill(
    store: EventStore,
    pool: AsyncConnectionPool,
    targets: Sequence[Target],
    after: int,
    until: int,
    on_progress: Progress | None,
) -> Filled:
    """Feed every target the events after ``after`` up to ``until`` in one pass; an entry
    that does not decode is left out of every target."""
    read = 0
    set_aside: dict[int, Unreadable] = {}
    applied = [t for t in targets if t.copied is None]
    topics = _read_by([t.model for t in applied])
    async with contextlib.AsyncExitStack() as streams:
        copies = [
            await streams.enter_async_context(_copying(pool, t))
            for t in targets
            if t.copied is not None
        ]
        workers = (
            await streams.enter_async_context(Workers([f for _, f in copies], WORKERS))
            if copies
            else None
        )
        pages = _formatted(store, pool, after, until, workers)
        async with contextlib.aclosing(pages):
            async for page, (blocks, copied_lost) in pages:
                for (copy, _), block in zip(copies, blocks, strict=True):
                    await copy.write(block)
                named, lost = decoded([s for s in page if topics is None or s[1] in topics])
                set_aside.update((entry.position, entry) for entry in (*copied_lost, *lost))
                wanted = [item for _, item in named]
                if applied and wanted:
                    # Pipelined: their statements go without waiting each for its answer
                    # (COPY cannot run in a pipeline: a model that copies says COPIED).
                    async with pool.connection() as conn, conn.transaction(), conn.pipeline():
                        for target in applied:
                            await target.model.apply(conn, target.generation, wanted)
                after = page[-1][0]
                read += len(page)
                if on_progress is not None:
                    on_progress(after, until)
    await asyncio.gather(*(_ready(pool, t) for t in targets))
    return Filled(after, read, sorted(set_aside.values(), key=lambda entry: entry.position))


def _read_by(models: Sequence[ReadModel]) -> frozenset[str] | None:
    """The catalog names of the events ``models`` read (``READS`` or ``CHANGED_BY``, and
    their subclasses), which are all a rebuild gives them; ``None`` for every event when one
    of them says neither."""
    kinds: list[type] = []
    for model in models:
        said = read_by(model)
        if said is None:
            return None
        kinds.extend(said)
    return frozenset(
        type_name(cls) for cls in catalog.event_types() if issubclass(cls, tuple(kinds))
    )


async def fill_in(
    conn: AsyncConnection,
    store: EventStore,
    targets: Sequence[Target],
    after: int,
    until: Mapping[str, int],
) -> tuple[dict[str, int], list[Unreadable]]:
    """Catch each target up to its own ``until`` through ``apply``, as live, in ``conn``'s
    transaction (a rebuild's switch, which the live projector waits on); return how many
    events each took, and the entries left out of all of them (they do not decode)."""
    took = {target.name: 0 for target in targets}
    set_aside: list[Unreadable] = []
    last = max((until.get(name, 0) for name in took), default=after)
    while rows := _unsealed(store, await _rows(conn, after, last)):
        named, lost = decoded(rows)
        set_aside.extend(lost)
        page = [item for _, item in named]
        for target in targets:
            fresh = [item for item in page if item.position <= until.get(target.name, 0)]
            if fresh:
                await target.model.apply(conn, target.generation, fresh)
                took[target.name] += len(fresh)
        after = rows[-1][0]
    return took, set_aside


async def _pages(
    store: EventStore, pool: AsyncConnectionPool, after: int, until: int
) -> AsyncGenerator[list[Stored]]:
    """Pages of events after ``after`` up to ``until``; the next is fetched while one is used."""
    async with pool.connection() as conn:
        fetching = asyncio.create_task(_rows(conn, after, until))
        try:
            while rows := await fetching:
                fetching = asyncio.create_task(_rows(conn, rows[-1][0], until))
                yield _unsealed(store, rows)
        finally:
            with contextlib.suppress(Exception):
                await fetching


async def _formatted(
    store: EventStore,
    pool: AsyncConnectionPool,
    after: int,
    until: int,
    workers: Workers | None,
) -> AsyncGenerator[tuple[list[Stored], Formatted]]:
    """Pages with their COPY data and the entries the workers set aside (none without
    ``workers``): ``AHEAD`` pages are formatted while one is used, so the workers and the
    database work at the same time."""
    ahead: deque[tuple[list[Stored], asyncio.Future[Formatted] | None]] = deque()
    try:
        async with contextlib.aclosing(_pages(store, pool, after, until)) as pages:
            async for page in pages:
                ahead.append((page, workers.format(page) if workers else None))
                if len(ahead) > AHEAD:
                    yield await _done(*ahead.popleft())
        while ahead:
            yield await _done(*ahead.popleft())
    finally:  # a pass cut short: the pages still being formatted are not wanted
        for _, blocks in ahead:
            if blocks is not None and not blocks.cancel():
                blocks.exception()  # retrieved, so not reported as lost


async def _done(
    page: list[Stored], blocks: asyncio.Future[Formatted] | None
) -> tuple[list[Stored], Formatted]:
    return page, ([], []) if blocks is None else await Workers.formatted(blocks)


async def _rows(conn: AsyncConnection, after: int, until: int) -> list[tuple[Any, ...]]:
    """Stored rows as they are, read past the library's own reader (objects per row cost
    more than decoding them); binary, so the bodies come as bytes."""
    async with conn.cursor(binary=True) as cur:
        await cur.execute(_READ, (after, until, PAGE))
        return await cur.fetchall()


def _unsealed(store: EventStore, rows: list[tuple[Any, ...]]) -> list[Stored]:
    unseal = store.catalog_mapper.unseal
    return [(position, topic, unseal(state)) for position, topic, state in rows]


@contextlib.asynccontextmanager
async def _copying(
    pool: AsyncConnectionPool, target: Target
) -> AsyncIterator[tuple[AsyncCopy, Format]]:
    """A binary COPY into the target's table, on a connection of its own, committed at the
    end; written in blocks the workers format to its columns' types."""
    assert target.copied is not None
    table = target.model.table(target.generation)
    columns = sql.SQL(", ").join(map(sql.Identifier, target.copied.columns))
    async with await _own_connection(pool) as conn:
        described = await conn.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(columns, table))
        types = [column.type_code for column in described.description or ()]
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(table, columns)
        async with conn.cursor() as cur, cur.copy(statement, writer=WithheldWriter(cur)) as copy:
            await copy.write(SIGNATURE)
            yield copy, Format(target.copied, types, _read_by([target.model]))
            await copy.write(TRAILER)


async def _own_connection(pool: AsyncConnectionPool) -> AsyncConnection:
    """A connection made as the pool makes its own: each COPY holds one for the whole pass,
    more than a pool may have to spare."""
    conninfo, kwargs = pool.conninfo, pool.kwargs or {}
    if not (isinstance(conninfo, str) and isinstance(kwargs, dict)):
        raise TypeError("a rebuild copies through a pool made from a connection string")
    return await AsyncConnection.connect(conninfo, **kwargs)


async def _ready(pool: AsyncConnectionPool, target: Target) -> None:
    """The indexes of a table filled by COPY, and every new table's planner statistics: a
    view switched to a table never sampled is read with guessed plans until autovacuum
    comes by (a timeline page on a rebuilt 100,000-event store took twice as long)."""
    async with pool.connection() as conn:
        if target.copied is not None:
            for statement in target.model.ddl(target.generation)[1:]:
                await conn.execute(statement)
        await conn.execute(sql.SQL("ANALYZE {}").format(target.model.table(target.generation)))
