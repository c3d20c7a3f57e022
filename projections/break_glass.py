"""Emergency accesses: the program's alert list, and the read policy's "break-glass now"."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection, sql

from carecoord.events.access import BreakGlassUsed
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_table

NAME = "break_glass"
CHANGED_BY = (BreakGlassUsed,)


table = generation_table(NAME)


def ddl(generation: int) -> list[sql.Composed]:
    t = table(generation)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " access_id uuid PRIMARY KEY,"
            " position bigint NOT NULL,"
            " client_id uuid NOT NULL,"
            " member_id text NOT NULL,"
            " role text NOT NULL,"
            " reason text NOT NULL,"
            " used_at timestamptz NOT NULL,"
            " expires_at timestamptz NOT NULL)"
        ).format(t),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (client_id, member_id)").format(
            sql.Identifier(f"{NAME}_g{generation}_client"), t
        ),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (used_at)").format(
            sql.Identifier(f"{NAME}_g{generation}_used"), t
        ),
    ]


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
    if rows:
        async with conn.cursor() as cur:
            await cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (access_id, position, client_id, member_id, role, reason,"
                    " used_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (access_id) DO NOTHING"
                ).format(table(generation)),
                rows,
            )
