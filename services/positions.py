"""How far each follower of the log (relay, projections) has got, kept in PostgreSQL."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

DDL = """
CREATE TABLE IF NOT EXISTS follower_positions (
    name text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""

_READ = "SELECT position FROM follower_positions WHERE name = %s"
_READ_LOCKED = _READ + " FOR UPDATE"


async def ensure_table(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        await conn.execute(DDL)


async def read(conn: AsyncConnection, name: str, *, lock: bool = False) -> int:
    """The recorded position of ``name``; with ``lock``, held until the transaction ends."""
    cur = await conn.execute(_READ_LOCKED if lock else _READ, (name,))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def write(conn: AsyncConnection, name: str, position: int) -> None:
    await conn.execute(
        "INSERT INTO follower_positions (name, position) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()",
        (name, position),
    )


async def all_positions(pool: AsyncConnectionPool) -> dict[str, int]:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT name, position FROM follower_positions")
        return {str(name): int(pos) for name, pos in await cur.fetchall()}
