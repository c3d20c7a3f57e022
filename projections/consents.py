"""Part 2 consents per client: whom they name, for which kinds, until when, revoked or not.

The read policy asks this view which consents name a reader right now; expiry by date is
compared at query time, revocation and expiry on an event (``ended_at``, the client's
discharge for a consent until discharge) are columns set when they are projected. Both are
events of the consent record, so a reader's grant waits for them (``services/gate``).

A discharge marked entered in error leaves the consents it expired expired (the client
signs again if they still consent: the platform does not grant again, on its own, what the
client was told had ended), and ``expiry_in_error_at`` says when that discharge was marked,
so a reader sees the expiry stands on a discharge that did not happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.care import DischargeEnteredInError
from carecoord.events.consent import (
    ConsentExpired,
    ConsentRecorded,
    ConsentRevoked,
    RecipientType,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import columns_added, generation_ddl, generation_table
from carecoord.projections.inserts import Pending
from carecoord.projections.rows import fetch, in_period

NAME = "consents"
VERSION = 3
CHANGED_BY = (ConsentRecorded, ConsentRevoked, ConsentExpired, DischargeEnteredInError)
RECORDED = ("consent_id", "position", "client_id", "member_ids", "organization_ids", "purpose",
            "data_kinds", "expires_at", "expiry_event", "signed_on", "recorded_at",
            "recorded_by", "expires_on")  # fmt: skip
"""What a consent recorded fills in; its revocation fills in the rest."""


table = generation_table(NAME)


ddl = columns_added(
    NAME,
    generation_ddl(
        NAME,
        "consent_id uuid PRIMARY KEY, position bigint NOT NULL, client_id uuid NOT NULL,"
        " member_ids text[] NOT NULL, organization_ids text[] NOT NULL, purpose text NOT NULL,"
        " data_kinds text[] NOT NULL, expires_at timestamptz, expiry_event text NOT NULL,"
        " signed_on date NOT NULL, recorded_at timestamptz NOT NULL, recorded_by text NOT NULL,"
        " revoked_at timestamptz, revoked_by text, expires_on text, ended_at timestamptz,"
        " expiry_in_error_at timestamptz",
        {"client": "(client_id)"},
    ),
    # An earlier release's rows expire on no event, as every consent then did, until the
    # rebuild VERSION starts derives them.
    {"expires_on": "text", "ended_at": "timestamptz", "expiry_in_error_at": "timestamptz"},
)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    recorded = Pending(conn, t, ["consent_id"], RECORDED, position="position")
    for item in batch:
        event = item.event
        if isinstance(event, ConsentRecorded):
            members = [r.id for r in event.recipients if r.type is RecipientType.MEMBER]
            organizations = [r.id for r in event.recipients if r.type is RecipientType.ORGANIZATION]
            kinds = [k.value for k in event.data_kinds]
            recorded.add((event.consent_id, item.position, event.client_id, members,
                          organizations, event.purpose, kinds, event.expires_at,
                          event.expiry_event, event.signed_on, event.recorded_at,
                          event.actor.id, event.expires_on and event.expires_on.value))  # fmt: skip
        elif isinstance(event, ConsentRevoked):
            await recorded.flush()
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = %s, revoked_by = %s"
                    " WHERE consent_id = %s AND client_id = %s AND revoked_at IS NULL"
                ).format(t),
                (event.occurred_at, event.actor.id, event.consent_id, event.client_id),
            )
        elif isinstance(event, ConsentExpired):
            await recorded.flush()
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET ended_at = %s"
                    " WHERE consent_id = %s AND client_id = %s AND ended_at IS NULL"
                ).format(t),
                (event.occurred_at, event.consent_id, event.client_id),
            )
        elif isinstance(event, DischargeEnteredInError):
            # The discharge marked is the client's latest step: every consent it expired
            # ended at it or later (at its recording, if recorded after the time it is dated).
            await recorded.flush()
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET expiry_in_error_at = %s WHERE client_id = %s"
                    " AND expires_on = 'discharge' AND ended_at >= %s"
                    " AND expiry_in_error_at IS NULL"
                ).format(t),
                (event.occurred_at, event.client_id, event.discharged_at),
            )
    await recorded.flush()


class Consent(TypedDict):
    consent_id: UUID
    position: int
    client_id: UUID
    member_ids: list[str]
    organization_ids: list[str]
    purpose: str
    data_kinds: list[str]
    expires_at: datetime | None
    expiry_event: str
    signed_on: date
    recorded_at: datetime
    recorded_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    expires_on: str | None
    ended_at: datetime | None
    expiry_in_error_at: datetime | None
    """When the discharge that expired it was marked entered in error (it stays expired)."""
    expired_at: datetime | None
    """When it stopped granting by its own terms: its date, once passed, or the event it
    expires on (``ended_at``), whichever came first; None while neither has."""
    expired_by: str | None
    """Which: ``expires_at``, or the event (``discharge``)."""


async def of_client(
    pool: AsyncConnectionPool,
    client_id: UUID,
    recorded_from: datetime | None = None,
    recorded_to: datetime | None = None,
    limit: int | None = None,
) -> list[Consent]:
    """A client's consents, revoked ones included, in the order they were recorded (those
    recorded from ``recorded_from``, before ``recorded_to``); the first ``limit`` (all when
    None)."""
    period, bounds = in_period("recorded_at", recorded_from, recorded_to)
    query = sql.SQL(
        "SELECT *, CASE WHEN ended_at IS NOT NULL AND (expires_at IS NULL OR ended_at <"
        " expires_at) THEN ended_at WHEN expires_at <= now() THEN expires_at END AS expired_at,"
        " CASE WHEN ended_at IS NOT NULL AND (expires_at IS NULL OR ended_at < expires_at)"
        " THEN expires_on WHEN expires_at <= now() THEN 'expires_at' END AS expired_by"
        " FROM {} WHERE client_id = %s AND {} ORDER BY position LIMIT %s"
    ).format(sql.Identifier(NAME), period)
    return await fetch(pool, Consent, query, [client_id, *bounds, limit])
