"""Events a follower could not handle, set aside so that everyone else's keep flowing.

A follower of the log (the relay, a read model) that fails on one event again and again
would otherwise stop for every client. It records the event here instead (position, type,
the client and the correlation id that find the command that wrote it, an error code,
never the content) and moves on; ``/health`` reports the count as ``degraded`` and, once
the cause is mended, an operator replays the model (``carecoord rebuild``) or publishes the
relay's again (``carecoord relay --republish-parked``, ``republish.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from psycopg import AsyncConnection

from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure.doorbell import Unreadable

log = logging.getLogger("carecoord.parked")

DDL = """
CREATE TABLE IF NOT EXISTS parked_events (
    follower text NOT NULL,
    position bigint NOT NULL,
    event_type text NOT NULL,
    event_id uuid,
    client_id uuid,
    correlation_id uuid,
    error text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower, position)
)
"""

_PARK = (
    "INSERT INTO parked_events (follower, position, event_type, event_id, client_id,"
    " correlation_id, error) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)

_PARK_MANY = (
    "INSERT INTO parked_events (follower, position, event_type, error)"
    " SELECT %s, * FROM unnest(%s::bigint[], %s::text[], %s::text[]) ON CONFLICT DO NOTHING"
)


async def park(conn: AsyncConnection, follower: str, item: Positioned, error: str) -> None:
    """Set ``item`` aside for ``follower``, in the caller's transaction, and alert operators."""
    event = item.event
    ids = (event.event_id, event.client_id, event.correlation_id)
    await _park(conn, follower, item.position, type_name(type(event)), ids, error)


async def park_unreadable(conn: AsyncConnection, follower: str, entries: list[Unreadable]) -> None:
    """Set aside stored entries that do not decode (nothing of them is known but the topic),
    in one statement and one log line: a rebuild after a rollback may meet thousands, for
    every model, inside the switch the live projector waits on."""
    if not entries:
        return
    await conn.execute(
        _PARK_MANY,
        (
            follower,
            [e.position for e in entries],
            [e.topic for e in entries],
            [e.error for e in entries],
        ),
    )
    log.error(
        "events set aside: they could not be decoded; the rest go on",
        extra={
            "follower": follower,
            "count": len(entries),
            "first_position": entries[0].position,
            "last_position": entries[-1].position,
            "errors": sorted({e.error for e in entries}),
            "code": "EVENT_PARKED",
        },
    )


async def _park(
    conn: AsyncConnection,
    follower: str,
    position: int,
    topic: str,
    ids: tuple[UUID | None, UUID | None, UUID | None],
    error: str,
) -> None:
    await conn.execute(_PARK, (follower, position, topic, *ids, error))
    log.error(
        "event set aside: it could not be handled; the rest go on",
        extra={
            "follower": follower,
            "position": position,
            "event_id": str(ids[0]),
            "correlation_id": str(ids[2]),
            "error": error,
            "code": "EVENT_PARKED",
        },
    )


async def replaced(conn: AsyncConnection, follower: str, known: Sequence[str]) -> None:
    """Take ``follower``'s entries of the ``known`` event types off the list: a rebuild read
    every one of them its model reads and applied it, or set it aside again itself in the
    same transaction. An entry of a type this version does not know (a later one's) stays:
    nothing says whether the model would have read it."""
    await conn.execute(
        "DELETE FROM parked_events WHERE follower = %s AND event_type = ANY(%s)",
        (follower, list(known)),
    )


async def positions_after(conn: AsyncConnection, follower: str, after: int) -> frozenset[int]:
    """The positions after ``after`` set aside for ``follower``."""
    cur = await conn.execute(
        "SELECT position FROM parked_events WHERE follower = %s AND position > %s",
        (follower, after),
    )
    return frozenset(int(position) for (position,) in await cur.fetchall())


async def counts_on(conn: AsyncConnection) -> dict[str, int]:
    """Parked events per follower."""
    cur = await conn.execute(
        "SELECT follower, count(*) FROM parked_events GROUP BY follower ORDER BY follower"
    )
    return {str(name): int(n) for name, n in await cur.fetchall()}


async def set_aside(conn: AsyncConnection, follower: str) -> list[int]:
    """``follower``'s set-aside positions, in position order."""
    cur = await conn.execute(
        "SELECT position FROM parked_events WHERE follower = %s ORDER BY position", (follower,)
    )
    return [int(position) for (position,) in await cur.fetchall()]


async def taken_back(
    conn: AsyncConnection, follower: str, done: Sequence[int], kept: dict[int, str]
) -> None:
    """Take the positions ``done`` off ``follower``'s list, and note why each of ``kept``
    stays on it (the error of its last try)."""
    await conn.execute(
        "DELETE FROM parked_events WHERE follower = %s AND position = ANY(%s)",
        (follower, list(done)),
    )
    await conn.execute(
        "UPDATE parked_events SET error = kept.error"
        " FROM unnest(%s::bigint[], %s::text[]) AS kept(position, error)"
        " WHERE follower = %s AND parked_events.position = kept.position",
        (list(kept), list(kept.values()), follower),
    )
