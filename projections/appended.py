"""Read models that only append rows (logs and ledgers): each event becomes zero or more
rows keyed by (position, seq), so a replayed batch inserts nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict

from psycopg import AsyncConnection, sql

from carecoord.events.positioned import Positioned
from carecoord.projections.generations import Copied, generation_ddl

Row = tuple[Any, ...]
Rows = Callable[[Positioned], Iterable[Row]]

KEY = ("position", "seq")


class Numbered(TypedDict):
    """What every row begins with: the event's position, and the row's place among those
    the event made."""

    position: int
    seq: int


def columns(row: type[Numbered]) -> tuple[str, ...]:
    """The columns a row type (a ``Numbered`` TypedDict) names after the key, in order: what
    ``rows`` makes of an event."""
    return tuple(row.__annotations__)[len(KEY) :]


def appended_ddl(
    name: str, columns: str, indexes: Mapping[str, str]
) -> Callable[[int], list[sql.Composed]]:
    """``generation_ddl`` of a table whose rows are keyed by the event's position and the
    row's ``seq`` among those the event made, ahead of ``columns``."""
    key = "position bigint NOT NULL, seq integer NOT NULL"
    return generation_ddl(name, f"{key}, {columns}, PRIMARY KEY (position, seq)", indexes)


def numbered(batch: Sequence[Positioned], rows: Rows) -> list[Row]:
    """``(position, seq, *row)`` for every row ``rows`` makes of each event."""
    return [(item.position, seq, *row) for item in batch for seq, row in enumerate(rows(item))]


def copied(columns: Sequence[str], rows: Rows) -> Copied:
    """How a rebuild fills the model: its numbered rows, copied in bulk."""
    return Copied((*KEY, *columns), lambda batch: numbered(batch, rows))


async def append(
    conn: AsyncConnection,
    table: sql.Identifier,
    columns: Sequence[str],
    batch: Sequence[Positioned],
    rows: Rows,
) -> None:
    """Insert ``(position, seq, *row)`` for every row ``rows`` makes of each event."""
    names = (*KEY, *columns)
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
        table,
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
    )
    values = numbered(batch, rows)
    if values:
        async with conn.cursor() as cur:
            await cur.executemany(statement, values)
