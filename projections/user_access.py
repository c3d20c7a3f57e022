"""A user's suspensions and reinstatements as the timeline view holds them: the record's
entries (``user_record_id``), each with who decided it, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict
from uuid import UUID

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.envelope import type_name
from carecoord.events.users import USER_EVENTS
from carecoord.projections import timeline
from carecoord.projections.rows import fetch

TYPES = [type_name(cls) for cls in USER_EVENTS]


class Change(TypedDict):
    position: int
    type: str
    occurred_at: datetime
    actor_id: str
    actor_role: str
    reason: str | None
    program: str | None


async def changes(pool: AsyncConnectionPool, record_id: UUID, limit: int) -> list[Change]:
    """The first ``limit`` changes of the user's access record, in the order recorded."""
    query = sql.SQL(
        "SELECT position, type, occurred_at, actor_id, actor_role, facts->>'reason' AS reason,"
        " facts->>'program' AS program FROM {} WHERE client_id = %s AND type = ANY(%s)"
        " ORDER BY position LIMIT %s"
    ).format(sql.Identifier(timeline.NAME))
    return await fetch(pool, Change, query, (record_id, TYPES, limit))
