"""Care team membership over time: one row per membership, open until it is ended.

Read access is decided against this view at query time ("on the team now"), and alerts are
routed to members by joining it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_ddl, generation_table
from carecoord.projections.inserts import Pending
from carecoord.projections.rows import fetch, in_period
from carecoord.services.careteam.team import ended

NAME = "care_team"
VERSION = 1
CHANGED_BY = (CareTeamMemberAssigned, CareTeamMemberEnded)
ASSIGNED = ("position", "client_id", "member_id", "role", "started_at")
"""What an assignment fills in; its end fills in the rest."""


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "position bigint PRIMARY KEY, client_id uuid NOT NULL, member_id text NOT NULL,"
    " role text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz, ended_reason text",
    {"member": "(member_id, client_id)", "client": "(client_id)"},
)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    assigned = Pending(conn, t, ["position"], ASSIGNED)
    for item in batch:
        event = item.event
        if isinstance(event, CareTeamMemberAssigned):
            assigned.add((item.position, event.client_id, event.member_id, event.role.value,
                          event.occurred_at))  # fmt: skip
        elif isinstance(event, CareTeamMemberEnded):
            await assigned.flush()
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET ended_at = %s, ended_reason = %s"
                    " WHERE client_id = %s AND member_id = %s AND ended_at IS NULL"
                ).format(t),
                (ended(event), event.reason, event.client_id, event.member_id),
            )
    await assigned.flush()


class Membership(TypedDict):
    position: int
    client_id: UUID
    member_id: str
    role: str
    started_at: datetime
    ended_at: datetime | None
    ended_reason: str | None


async def of_client(
    pool: AsyncConnectionPool,
    client_id: UUID,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    limit: int | None = None,
) -> list[Membership]:
    """Everyone who is or was on a client's care team, in the order they were assigned
    (those whose membership started from ``started_from``, before ``started_to``); the
    first ``limit`` (all when None)."""
    period, bounds = in_period("started_at", started_from, started_to)
    query = sql.SQL(
        "SELECT * FROM {} WHERE client_id = %s AND {} ORDER BY position LIMIT %s"
    ).format(sql.Identifier(NAME), period)
    return await fetch(pool, Membership, query, [client_id, *bounds, limit])


async def clients_of_member(pool: AsyncConnectionPool, member_id: str, role: str) -> list[UUID]:
    """The clients whose care team ``member_id`` is on now in ``role``."""
    query = sql.SQL(
        "SELECT DISTINCT client_id FROM {} WHERE member_id = %s AND role = %s"
        " AND started_at <= now() AND (ended_at IS NULL OR ended_at > now())"
    ).format(sql.Identifier(NAME))
    return [r["client_id"] for r in await fetch(pool, Membership, query, (member_id, role))]
