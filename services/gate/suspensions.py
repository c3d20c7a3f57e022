"""Whether a user is suspended now, read from the store itself, never from a view.

A suspension (``UserSuspended``) ends a user's access at once: the request after it is
recorded is refused, in every API process, however far the projector or a replica lags. So
the gate reads the newest event of the user's access record on the primary (one
primary-key probe per user; the decisions of one process that wait together share one
statement) and refuses while it is a suspension. The same statement reads the store's last
position, to which the answer holds: the socket watch's pushes ask it (``RecordWatch``).

A suspension also revokes every token issued before it, as an identity provider's does: once
reinstated, the user signs in again. The same statement reads the reinstatement when it is
the newest event, and a token issued (``iat``) before it (while suspended too: the provider
knows nothing of a suspension here), or not saying when, is refused (``token-revoked``): the
user's tokens from before the suspension, a stolen one among them, were taken again each
until it expired.
"""

from __future__ import annotations

from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.envelope import type_name
from carecoord.events.users import UserReinstated, UserSuspended
from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.infrastructure.coalesced import Coalesced
from carecoord.services.infrastructure.connection_lost import (
    once_more_when_lost,
    unavailable_when_lost,
)
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.infrastructure.record_watch import Named
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import DomainError, Unauthenticated
from carecoord.services.users.access import access_record, suspended_refusal

SUSPENDED, REINSTATED = type_name(UserSuspended), type_name(UserReinstated)
REVOKED_RULE = "token-revoked"

_SUSPENDED = """SELECT (SELECT coalesce(max(notification_id), 0) FROM {events}) AS head,
coalesce(array_agg(record.id) FILTER (WHERE last.topic = %s), '{{}}') AS suspended,
coalesce(array_agg(record.id) FILTER (WHERE last.topic = %s), '{{}}') AS reinstated,
coalesce(array_agg(last.state) FILTER (WHERE last.topic = %s), '{{}}') AS reinstatements
FROM unnest(%s::uuid[]) AS record(id),
     LATERAL (SELECT topic, state FROM {events} WHERE originator_id = record.id
              ORDER BY originator_version DESC LIMIT 1) AS last"""


@unavailable_when_lost
async def suspended_records(
    conn: AsyncConnection, store: EventStore, records: frozenset[UUID]
) -> Named:
    """Those of ``records`` (``access_record``) whose newest event is a suspension, and
    when those whose newest is a reinstatement were reinstated."""
    table = store.recorder.events_table_name  # type: ignore[attr-defined]
    query = sql.SQL(_SUSPENDED).format(events=sql.Identifier(table))
    cur = await conn.execute(query, _asked(records))
    row = await cur.fetchone()
    if row is None:
        return Named(frozenset(), 0)
    mapper = store.catalog_mapper
    reinstated = {
        record: int(mapper.open(REINSTATED, bytes(state)).occurred_at.timestamp())
        for record, state in zip(row[2], row[3], strict=True)
    }
    return Named(frozenset(row[1]), int(row[0]), reinstated)


def _asked(records: frozenset[UUID] | list[UUID]) -> tuple[object, ...]:
    return (SUSPENDED, REINSTATED, REINSTATED, list(records))


def suspension_probe(pool: AsyncConnectionPool, store: EventStore) -> Coalesced[UUID, Named]:
    """``suspended_records`` on the primary for the decisions of one process: those asking
    together share one statement, asked once more when its connection was lost."""

    async def ask(records: frozenset[UUID]) -> Named:
        async with autocommitted(pool) as conn:
            return await suspended_records(conn, store, records)

    return Coalesced(lambda records: once_more_when_lost(pool, lambda: ask(records)))


async def admitted(probe: Coalesced[UUID, Named], user_id: str, issued_at: int | None) -> None:
    """Refuse a suspended user, and a token of a reinstated user issued before the
    reinstatement (``refusal``; ``issued_at``: its ``iat``)."""
    record = access_record(user_id)
    refused = refusal(await probe.ask([record]), record, issued_at)
    if refused is not None:
        raise refused


def refusal(named: Named, record: UUID, issued_at: int | None) -> DomainError | None:
    """Why ``named`` ends a token of ``record``'s user issued at ``issued_at``: the user
    suspended (``user-suspended``), or reinstated since (``token-revoked``); None if not."""
    if record in named.records:
        return suspended_refusal()
    if named.revokes(record, issued_at):
        return revoked_refusal()
    return None


def revoked_refusal() -> Unauthenticated:
    """What a token issued before its user was last reinstated is told."""
    return Unauthenticated(
        "authorization",
        REVOKED_RULE,
        "the token was issued before your access was last reinstated; sign in again for a new one",
    )


def suspended_in_store(database_url: str, user_id: str) -> bool:
    """Whether ``user_id`` is suspended now, asked of the store at ``database_url`` by a
    command that runs no platform (``carecoord token``); a database without a store yet
    holds no suspension."""
    record = access_record(user_id)
    query = sql.SQL(_SUSPENDED).format(events=sql.Identifier(TABLE))
    with psycopg.connect(database_url, autocommit=True) as conn:
        stored = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()
        if not (stored and stored[0]):
            return False
        row = conn.execute(query, _asked([record])).fetchone()
    return bool(row and record in row[1])
