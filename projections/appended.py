"""Read models that only append rows (logs and ledgers): each event becomes zero or more
rows keyed by (position, seq), so a replayed batch inserts nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict, get_args, get_type_hints
from uuid import UUID

from psycopg import AsyncConnection, sql

from carecoord.events.positioned import Positioned
from carecoord.projections.generations import Copied, generation_ddl
from carecoord.projections.inserts import insert_once

Row = tuple[Any, ...]
Rows = Callable[[Positioned], Iterable[Row]]

KEY = ("position", "seq")


class Numbered(TypedDict):
    """What every row begins with: the event's position, and the row's place among those
    the event made."""

    position: int
    seq: int


SQL_TYPES: dict[object, str] = {
    str: "text",
    int: "integer",
    Decimal: "numeric",
    UUID: "uuid",
    date: "date",
    datetime: "timestamptz",
}
"""The column type of each field type a row may have; ``X | None`` is the nullable column."""


def columns(row: type[Numbered]) -> tuple[str, ...]:
    """The columns a row type (a ``Numbered`` TypedDict) names after the key, in order: what
    ``rows`` makes of an event."""
    return tuple(row.__annotations__)[len(KEY) :]


def appended_ddl(
    name: str, row: type[Numbered], indexes: Mapping[str, str]
) -> Callable[[int], list[sql.Composed]]:
    """``generation_ddl`` of a table of ``row``: keyed by the event's position and the row's
    ``seq`` among those the event made, then a column for each of its other fields."""
    declared = []
    for column, kind in get_type_hints(row).items():
        if column not in KEY:
            args = set(get_args(kind))
            nullable = type(None) in args
            of = (args - {type(None)}).pop() if nullable else kind
            declared.append(f"{column} {SQL_TYPES[of]}{'' if nullable else ' NOT NULL'}")
    key = "position bigint NOT NULL, seq integer NOT NULL"
    listed = ", ".join(declared)
    return generation_ddl(name, f"{key}, {listed}, PRIMARY KEY (position, seq)", indexes)


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
    await insert_once(conn, table, KEY, (*KEY, *columns), numbered(batch, rows))
