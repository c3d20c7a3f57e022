"""Whether a user is suspended now, read from the store itself, never from a view.

A suspension (``UserSuspended``) ends a user's access at once: the request after it is
recorded is refused, in every API process, however far the projector or a replica lags. So
the gate reads the newest event of the user's access record on the primary (one
primary-key probe per user; the decisions of one process that wait together share one
statement) and refuses while it is a suspension. The same statement reads the store's last
position, to which the answer holds: the socket watch's pushes ask it (``RecordWatch``).
"""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.envelope import type_name
from carecoord.events.users import UserSuspended
from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.infrastructure.coalesced import Coalesced
from carecoord.services.infrastructure.connection_lost import (
    once_more_when_lost,
    unavailable_when_lost,
)
from carecoord.services.infrastructure.record_watch import Named
from carecoord.services.users.access import access_record

SUSPENDED = type_name(UserSuspended)

_SUSPENDED = """SELECT (SELECT coalesce(max(notification_id), 0) FROM {events}) AS head,
ARRAY(SELECT record.id AS suspended_record FROM unnest(%s::uuid[]) AS record(id),
      LATERAL (SELECT topic FROM {events} WHERE originator_id = record.id
               ORDER BY originator_version DESC LIMIT 1) AS last
      WHERE last.topic = %s) AS suspended"""


@unavailable_when_lost
async def suspended_records(
    conn: AsyncConnection, events_table: str, records: frozenset[UUID]
) -> Named:
    """Those of ``records`` (``access_record``) whose newest event is a suspension."""
    query = sql.SQL(_SUSPENDED).format(events=sql.Identifier(events_table))
    cur = await conn.execute(query, (list(records), SUSPENDED))
    row = await cur.fetchone()
    return Named(frozenset(row[1]), int(row[0])) if row else Named(frozenset(), 0)


def suspension_probe(pool: AsyncConnectionPool, events_table: str) -> Coalesced[UUID, Named]:
    """``suspended_records`` on the primary for the decisions of one process: those asking
    together share one statement, asked once more when its connection was lost."""

    async def ask(records: frozenset[UUID]) -> Named:
        async with autocommitted(pool) as conn:
            return await suspended_records(conn, events_table, records)

    return Coalesced(lambda records: once_more_when_lost(pool, lambda: ask(records)))


async def is_suspended(probe: Coalesced[UUID, Named], user_id: str) -> bool:
    record = access_record(user_id)
    return record in (await probe.ask([record])).records
