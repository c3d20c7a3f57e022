"""Rows a read model adds once: an event applied again (a batch replayed after a crash, a
rebuild's catch-up) finds its row there by the table's key and adds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql


async def insert_once(
    conn: AsyncConnection,
    table: sql.Identifier,
    key: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert ``rows`` (values in the order of ``columns``) whose ``key`` is not there yet."""
    if rows:
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING").format(
            table,
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            sql.SQL(", ").join(map(sql.Identifier, key)),
        )
        async with conn.cursor() as cur:
            await cur.executemany(statement, rows)
