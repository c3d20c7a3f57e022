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


class Pending:
    """Rows to ``insert_once``, held until the batch's next other statement (``flush``
    before it, and at the batch's end) and then inserted together: the same effects in the
    same order, with one statement built and sent per run of rows rather than per row (a
    rebuild's pages of enrolments cost half a millisecond an event inserted one by one)."""

    def __init__(
        self,
        conn: AsyncConnection,
        table: sql.Identifier,
        key: Sequence[str],
        columns: Sequence[str],
    ) -> None:
        self.conn = conn
        self.table = table
        self.key = key
        self.columns = columns
        self.rows: list[Sequence[Any]] = []

    def add(self, row: Sequence[Any]) -> None:
        self.rows.append(row)

    async def flush(self) -> None:
        rows, self.rows = self.rows, []
        await insert_once(self.conn, self.table, self.key, self.columns, rows)
