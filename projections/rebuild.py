"""Rebuild a read model from the event store into a new generation of tables, then switch
the view to it without stopping the live projector.

The rebuild reads the store in large pages and applies each page in one transaction. At
the end it takes the live projector's position row lock (the projector waits for the
moment), catches the new generation up to where the live one is, points the view at the
new tables and leaves the projector to carry on there. Old tables are dropped afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.positioned import Positioned
from carecoord.projections.projector import (
    CHANGED,
    GENERATIONS_DDL,
    PROJECTED_CHANNEL,
    ReadModel,
    current_generation,
    point_view,
)
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.store import EventStore

log = logging.getLogger("carecoord.rebuild")

PAGE = 5000


@dataclass(frozen=True)
class Rebuilt:
    name: str
    generation: int
    events: int
    position: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def rebuild(
    store: EventStore,
    pool: AsyncConnectionPool,
    model: ReadModel,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> Rebuilt:
    started = time.perf_counter()
    async with pool.connection() as conn:
        async with conn.transaction():
            await conn.execute(positions.SCHEMA_LOCK)
            await conn.execute(positions.DDL)
            await conn.execute(GENERATIONS_DDL)
        old = await current_generation(conn, model.NAME)
        new = old + 1
        await create_generation(conn, model, new)
    head = await asyncio.to_thread(store.last_position)
    reached, applied = await fill(store, pool, model, new, 0, head, on_progress)
    async with pool.connection() as conn, conn.transaction():
        live = await positions.read(conn, model.NAME, lock=True)
        if live > reached:
            reached, more = await fill_in(conn, store, model, new, reached, live)
            applied += more
        await conn.execute(
            # An upsert: on a database no projector has set up, there is no row to update,
            # and the projector's later setup would point the view at an empty generation.
            "INSERT INTO projection_generations (name, generation) VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET generation = EXCLUDED.generation",
            (model.NAME, new),
        )
        await point_view(conn, model, new)
        await positions.write(conn, model.NAME, reached)
        # What readers remembered from the old tables (memberships, grants) goes.
        await conn.execute(
            "SELECT pg_notify(%s, %s)", (PROJECTED_CHANNEL, f"{model.NAME}{CHANGED}:{reached}")
        )
    async with pool.connection() as conn:
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(model.table(old)))
    done = Rebuilt(model.NAME, new, applied, reached, time.perf_counter() - started)
    log.info(
        "rebuilt",
        extra={
            "read_model": done.name,
            "events": done.events,
            "events_per_second": round(done.rate),
        },
    )
    return done


async def create_generation(conn: AsyncConnection, model: ReadModel, generation: int) -> None:
    await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(model.table(generation)))
    for statement in model.ddl(generation):
        await conn.execute(statement)


async def fill(
    store: EventStore,
    pool: AsyncConnectionPool,
    model: ReadModel,
    generation: int,
    after: int,
    until: int,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[int, int]:
    """Apply pages up to ``until``, reading the next page while the last one is written."""
    applied = 0
    reading = asyncio.create_task(_page(store, after, until))
    while True:
        page = await reading
        if not page:
            return after, applied
        after = page[-1].position
        reading = asyncio.create_task(_page(store, after, until))
        async with pool.connection() as conn, conn.transaction():
            await model.apply(conn, generation, page)
        applied += len(page)
        if on_progress is not None:
            on_progress(after, until)


async def fill_in(
    conn: AsyncConnection,
    store: EventStore,
    model: ReadModel,
    generation: int,
    after: int,
    until: int,
) -> tuple[int, int]:
    """Catch up inside the switching transaction (the live projector is waiting on it)."""
    applied = 0
    while page := await _page(store, after, until):
        await model.apply(conn, generation, page)
        after = page[-1].position
        applied += len(page)
    return after, applied


async def _page(store: EventStore, after: int, until: int) -> list[Positioned]:
    page = await asyncio.to_thread(store.read, after, PAGE)
    return [item for item in page if item.position <= until]
