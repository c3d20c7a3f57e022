"""A view's rows as one request reads them: typed, and kept to what the reader's grant shows.

Each read model's module owns the queries of its view; they read the view ``NAME``, which a
rebuild switches to the next generation, never a generation's table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from psycopg import sql
from psycopg.abc import Params
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Kind
from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.kernel.policy import Grant

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Shown:
    """The rows of a client's record a grant shows its reader: those of ``kinds``, and those
    of ``authored`` that ``reader_id`` recorded (rows carry ``kind`` and ``actor_id``)."""

    kinds: frozenset[Kind]
    authored: frozenset[Kind]
    reader_id: str

    @classmethod
    def of(cls, grant: Grant, reader_id: str) -> Shown:
        return cls(grant.kinds, grant.authored, reader_id)

    def where(self) -> tuple[sql.Composable, list[Any]]:
        """The WHERE condition that keeps these rows, and its parameters."""
        return (
            sql.SQL("(kind = ANY(%s) OR (kind = ANY(%s) AND actor_id = %s))"),
            [sorted(self.kinds), sorted(self.authored), self.reader_id],
        )


async def fetch(
    pool: AsyncConnectionPool, row: type[R], query: sql.Composed, params: Params
) -> list[R]:
    """The rows of one query, as ``row`` (a TypedDict naming the columns it selects)."""
    async with autocommitted(pool) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(query, params)
        return cast("list[R]", await cur.fetchall())


def in_period(
    column: str, start: datetime | None, end: datetime | None
) -> tuple[sql.Composable, list[Any]]:
    """The WHERE condition keeping the rows whose ``column`` is from ``start``, before
    ``end`` (None leaves that side open), and its parameters."""
    return (
        sql.SQL(
            "(%s::timestamptz IS NULL OR {c} >= %s) AND (%s::timestamptz IS NULL OR {c} < %s)"
        ).format(c=sql.Identifier(column)),
        [start, start, end, end],
    )


def steps_at_most(
    row: type, source: sql.Composable, order: Sequence[str], most: int
) -> tuple[sql.Composed, list[Any]]:
    """A query of the rows ``source`` selects (a view's, with a jsonb array ``history`` of
    steps), as ``row``, in ``order``, up to the one that takes them and their steps together
    past ``most``, and the parameters it adds to ``source``'s: past it they are refused, and
    the rest is left unread. The running count is the database's, over its rows."""
    by = sql.SQL(", ").join(map(sql.Identifier, order))
    query = sql.SQL(
        "SELECT {columns} FROM (SELECT *, sum(1 + jsonb_array_length(history))"
        " OVER (ORDER BY {by}) - 1 - jsonb_array_length(history) AS before FROM ({source}) s)"
        " counted WHERE before <= %s ORDER BY {by} LIMIT %s"
    ).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, row.__annotations__)),
        by=by,
        source=source,
    )
    return query, [most, most + 1]


async def client_rows(
    pool: AsyncConnectionPool, row: type[R], name: str, client_id: UUID, order: Sequence[str]
) -> list[R]:
    """Every row of one client in view ``name``, ordered by the columns ``order``."""
    query = sql.SQL("SELECT * FROM {} WHERE client_id = %s ORDER BY {}").format(
        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, order))
    )
    return await fetch(pool, row, query, (client_id,))
