"""Every read model compared with a fresh derivation of it from the store.

A view that drifted from the log (a projection bug, an event set aside, a row edited by
hand) shows here as a digest that differs: per model, and per client, so the difference
is named. Each model is filled into scratch tables from the store, then caught up and
compared under the live projector's position lock (it waits for the moment, as for a
rebuild's switch), so both sides hold exactly the same events. The scratch tables go.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.projector import ReadModel, current_generation
from carecoord.projections.rebuild import create_generation, fill, fill_in
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.store import EventStore

SCRATCH = 1_000_000
"""Scratch generations are numbered from here, far above any live one."""

_DIGESTS = """SELECT client_id, md5(string_agg(row_to_json(t)::text, E'\\n'
                                      ORDER BY row_to_json(t)::text)) AS digest
FROM {} t GROUP BY client_id"""


@dataclass(frozen=True)
class Verified:
    name: str
    position: int
    events: int
    clients: int
    differing: tuple[UUID, ...]
    """Clients whose rows differ (missing, extra or changed) between live and derived."""
    seconds: float

    @property
    def intact(self) -> bool:
        return not self.differing


async def verify(
    store: EventStore,
    pool: AsyncConnectionPool,
    model: ReadModel,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> Verified:
    """Derive ``model`` afresh from the store and compare it with the live one."""
    started = time.perf_counter()
    async with pool.connection() as conn:
        scratch = SCRATCH + await current_generation(conn, model.NAME)
        await create_generation(conn, model, scratch)
    try:
        head = await _live_position(pool, model)
        reached, applied = await fill(store, pool, model, scratch, 0, head, on_progress)
        async with pool.connection() as conn, conn.transaction():
            live = await positions.read(conn, model.NAME, lock=True)  # the projector waits
            if live > reached:
                reached, more = await fill_in(conn, store, model, scratch, reached, live)
                applied += more
            live_digests = await _digests(conn, sql.Identifier(model.NAME))
            derived = await _digests(conn, model.table(scratch))
    finally:
        async with pool.connection() as conn:
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(model.table(scratch)))
    differing = sorted(
        c for c in live_digests.keys() | derived.keys() if live_digests.get(c) != derived.get(c)
    )
    return Verified(
        model.NAME,
        reached,
        applied,
        len(derived),
        tuple(differing),
        time.perf_counter() - started,
    )


async def verify_all(
    store: EventStore,
    pool: AsyncConnectionPool,
    models: Sequence[ReadModel],
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[Verified]:
    found = []
    for model in models:

        def progress(at: int, of: int, name: str = model.NAME) -> None:
            if on_progress is not None:
                on_progress(name, at, of)

        found.append(await verify(store, pool, model, on_progress=progress))
    return found


async def _live_position(pool: AsyncConnectionPool, model: ReadModel) -> int:
    async with pool.connection() as conn:
        return await positions.read(conn, model.NAME)


async def _digests(conn: AsyncConnection, table: sql.Composable) -> dict[UUID, str]:
    cur = await conn.execute(sql.SQL(_DIGESTS).format(table))
    return {client: str(digest) for client, digest in await cur.fetchall()}
