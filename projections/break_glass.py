"""Emergency accesses: the program's alert list, and the read policy's "break-glass now"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.access import BreakGlassUsed
from carecoord.events.positioned import Positioned
from carecoord.projections import timeline
from carecoord.projections.generations import generation_ddl, generation_table
from carecoord.projections.inserts import insert_once
from carecoord.projections.rows import fetch

NAME = "break_glass"
VERSION = 1
CHANGED_BY = (BreakGlassUsed,)


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "access_id uuid PRIMARY KEY, position bigint NOT NULL, client_id uuid NOT NULL,"
    " member_id text NOT NULL, role text NOT NULL, reason text NOT NULL,"
    " used_at timestamptz NOT NULL, expires_at timestamptz NOT NULL",
    {"client": "(client_id, member_id)", "used": "(used_at)"},
)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    rows = [
        (
            e.access_id,
            item.position,
            e.client_id,
            e.member_id,
            e.role.value,
            e.reason,
            e.occurred_at,
            e.expires_at,
        )
        for item in batch
        if isinstance(e := item.event, BreakGlassUsed)
    ]
    await insert_once(
        conn,
        table(generation),
        ["access_id"],
        tuple(Use.__annotations__),
        rows,
        position="position",
    )


class Use(TypedDict):
    access_id: UUID
    position: int
    client_id: UUID
    member_id: str
    role: str
    reason: str
    used_at: datetime
    expires_at: datetime


async def newest(
    pool: AsyncConnectionPool,
    since: datetime | None,
    limit: int,
    program: str | None = None,
    before: int | None = None,
) -> list[Use]:
    """Up to ``limit`` emergency accesses (used at ``since`` or later, if given), newest
    recorded first, those recorded before the position ``before`` (the last one a page
    listed: the next page); with ``program``, of that program's clients only (the limit
    counts theirs, so other programs' newer uses do not crowd them out)."""
    query = sql.SQL(
        "SELECT * FROM {uses} u WHERE (%(since)s::timestamptz IS NULL OR used_at >= %(since)s)"
        " AND (%(before)s::bigint IS NULL OR position < %(before)s)"
        " AND (%(program)s::text IS NULL OR EXISTS (SELECT 1 FROM {timeline} t"
        " WHERE t.client_id = u.client_id AND t.type = 'care.ClientEnrolled'"
        " AND t.facts->>'program' = %(program)s))"
        " ORDER BY position DESC LIMIT %(limit)s"
    ).format(uses=sql.Identifier(NAME), timeline=sql.Identifier(timeline.NAME))
    params = {"since": since, "before": before, "program": program, "limit": limit}
    return await fetch(pool, Use, query, params)
