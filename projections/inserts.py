"""Rows a read model adds once: an event applied again (a batch replayed after a crash, a
rebuild's catch-up) finds its row there by the table's key and adds nothing. Another event
finding it there (an id the store holds twice: written by hand, or by a faulty writer past
the aggregate's checks) is refused (``DuplicateId``), for the feed to set it aside: kept
silently, the view showed the first of the two where the record decides on the last."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql


class DuplicateId(ValueError):
    """A row's key is another event's: the event is set aside (its code, the class name)."""


async def insert_once(
    conn: AsyncConnection,
    table: sql.Identifier,
    key: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    position: str | None = None,
) -> None:
    """Insert ``rows`` (values in the order of ``columns``) whose ``key`` is not there yet.
    ``position``: the column holding the position of the event that added the row; a row
    there by ``key`` with another raises ``DuplicateId``."""
    if not rows:
        return
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    values = sql.SQL(", ").join(sql.Placeholder() * len(columns))
    keys = sql.SQL(", ").join(map(sql.Identifier, key))
    if position is None:
        once = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING")
        async with conn.cursor() as cur:
            await cur.executemany(once.format(table, names, values, keys), rows)
        return
    # A row inserted returns its own position; one another event added, through the no-op
    # update, that event's; one this event added before (a replay), nothing.
    statement = sql.SQL(
        "INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT ({keys}) DO UPDATE"
        " SET {at} = {table}.{at} WHERE {table}.{at} <> EXCLUDED.{at} RETURNING {at}"
    ).format(table=table, names=names, values=values, keys=keys, at=sql.Identifier(position))
    at = list(columns).index(position)
    async with conn.cursor() as cur:
        await cur.executemany(statement, rows, returning=True)
        for row in rows:
            taken = [found for (found,) in await cur.fetchall() if found != row[at]]
            if taken:
                raise DuplicateId(f"{table.as_string(conn)}: key of the event at {taken[0]}")
            cur.nextset()


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
        *,
        position: str | None = None,
    ) -> None:
        self.conn = conn
        self.table = table
        self.key = key
        self.columns = columns
        self.position = position
        self.rows: list[Sequence[Any]] = []

    def add(self, row: Sequence[Any]) -> None:
        self.rows.append(row)

    async def flush(self) -> None:
        rows, self.rows = self.rows, []
        await insert_once(
            self.conn, self.table, self.key, self.columns, rows, position=self.position
        )
