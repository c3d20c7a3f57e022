"""Applies batches of events to read models, each with its position, in one transaction.

A redelivered or replayed event is at or below the recorded position and changes
nothing, so delivery is at-least-once and the effect exactly-once. Each read model lives
in a generation of tables behind a view; a rebuild fills the next generation and switches
the view (see ``rebuild.py``) while this keeps the current one live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.services import positions
from carecoord.services.store import Positioned

log = logging.getLogger("carecoord.projector")

PROJECTED_CHANNEL = "carecoord_projected"

GENERATIONS_DDL = """
CREATE TABLE IF NOT EXISTS projection_generations (
    name text PRIMARY KEY,
    generation integer NOT NULL
)
"""


class ReadModel(Protocol):
    """What a projection module provides: its tables and how one batch changes them."""

    NAME: str

    def ddl(self, generation: int) -> list[sql.Composed]: ...

    def table(self, generation: int) -> sql.Identifier: ...

    async def apply(
        self, conn: AsyncConnection, generation: int, batch: Sequence[Positioned]
    ) -> None: ...


@dataclass
class Projector:
    pool: AsyncConnectionPool
    model: ReadModel
    on_projected: Callable[[str, int], None] | None = None

    @property
    def name(self) -> str:
        return self.model.NAME

    async def setup(self) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(positions.DDL)
            await conn.execute(GENERATIONS_DDL)
            await conn.execute(
                "INSERT INTO projection_generations (name, generation) VALUES (%s, 1) "
                "ON CONFLICT (name) DO NOTHING",
                (self.name,),
            )
            generation = await current_generation(conn, self.name)
            for statement in self.model.ddl(generation):
                await conn.execute(statement)
            await point_view(conn, self.model, generation)

    async def handle(self, batch: Sequence[Positioned]) -> int:
        """Apply what is new in ``batch``; return the position the read model is now at."""
        async with self.pool.connection() as conn, conn.transaction():
            current = await positions.read(conn, self.name, lock=True)
            fresh = [item for item in batch if item.position > current]
            if not fresh:
                return current
            generation = await current_generation(conn, self.name)
            await self.model.apply(conn, generation, fresh)
            reached = fresh[-1].position
            await positions.write(conn, self.name, reached)
            await conn.execute(
                "SELECT pg_notify(%s, %s)", (PROJECTED_CHANNEL, f"{self.name}:{reached}")
            )
        if self.on_projected is not None:
            self.on_projected(self.name, reached)
        return reached


async def current_generation(conn: AsyncConnection, name: str) -> int:
    cur = await conn.execute(
        "SELECT generation FROM projection_generations WHERE name = %s", (name,)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 1


async def point_view(conn: AsyncConnection, model: ReadModel, generation: int) -> None:
    await conn.execute(
        sql.SQL("CREATE OR REPLACE VIEW {} AS SELECT * FROM {}").format(
            sql.Identifier(model.NAME), model.table(generation)
        )
    )
