"""How far each follower of the log (relay, projections, disclosure forwarders) has got,
kept in PostgreSQL."""

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

# Processes starting together create the same tables: CREATE ... IF NOT EXISTS is not safe
# under concurrency in PostgreSQL, so schema changes take this lock first.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('carecoord.schema'))"

_READ = "SELECT position FROM follower_positions WHERE name = %s"
_READ_LOCKED = _READ + " FOR UPDATE"
_WRITE = (
    "INSERT INTO follower_positions (name, position) "
    "SELECT * FROM unnest(%s::text[], %s::bigint[]) "
    "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()"
)


async def ensure_table(pool: AsyncConnectionPool, *others: str) -> None:
    """Create the positions table (and ``others`` of the followers' own) if missing."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(SCHEMA_LOCK)
        for statement in (DDL, *others):
            await conn.execute(statement)


async def read(conn: AsyncConnection, name: str, *, lock: bool = False) -> int:
    """The recorded position of ``name``; with ``lock``, held until the transaction ends."""
    cur = await conn.execute(_READ_LOCKED if lock else _READ, (name,))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def read_many(
    conn: AsyncConnection, names: list[str], *, lock: bool = False
) -> dict[str, int]:
    """Positions of ``names`` (missing ones are absent); locked in name order with ``lock``."""
    query = "SELECT name, position FROM follower_positions WHERE name = ANY(%s) ORDER BY name"
    cur = await conn.execute(query + (" FOR UPDATE" if lock else ""), (names,))
    return {str(name): int(position) for name, position in await cur.fetchall()}


async def ensure_rows(conn: AsyncConnection, names: list[str]) -> None:
    """A row per name to lock from the first batch on; existing rows are left unlocked."""
    await conn.execute(
        "INSERT INTO follower_positions (name, position) SELECT unnest(%s::text[]), 0 "
        "ON CONFLICT (name) DO NOTHING",
        (names,),
    )


async def write(conn: AsyncConnection, name: str, position: int) -> None:
    await write_many(conn, {name: position})


async def write_many(conn: AsyncConnection, reached: dict[str, int]) -> None:
    """Record positions in one statement."""
    await conn.execute(_WRITE, (list(reached), list(reached.values())))


async def all_positions_on(conn: AsyncConnection) -> dict[str, int]:
    cur = await conn.execute("SELECT name, position FROM follower_positions")
    return {str(name): int(pos) for name, pos in await cur.fetchall()}


async def start_at(conn: AsyncConnection, name: str, position: int) -> int:
    """The recorded position of ``name``, recording ``position`` first when there is none."""
    await conn.execute(
        "INSERT INTO follower_positions (name, position) VALUES (%s, %s) "
        "ON CONFLICT (name) DO NOTHING",
        (name, position),
    )
    return await read(conn, name)
