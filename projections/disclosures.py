"""The accounting of disclosures (42 CFR 2.24, 45 CFR 164.528): one row per disclosure of a
client's records to an outside recipient, as the disclosure events say it stands.

A disclosure the forwarder makes is first an intent, then sent or withdrawn; the row keeps
what was first recorded (position, time, recorder, terms) and moves its status. One
recorded by hand is sent from its first record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.access import (
    DISCLOSURE_EVENTS,
    DisclosureIntended,
    DisclosureRecorded,
    DisclosureWithdrawn,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_ddl, generation_table
from carecoord.projections.inserts import Pending
from carecoord.projections.rows import fetch

NAME = "disclosures"
VERSION = 1
READS = DISCLOSURE_EVENTS
"""The events ``apply`` reads (a rebuild decodes no other for it)."""


class Status(StrEnum):
    SENT = "sent"
    """Recorded as sent: the data went."""
    INTENDED = "intended"
    """An intent not recorded sent: in flight, or interrupted (the forwarder sends it again
    when it starts)."""
    WITHDRAWN = "withdrawn"
    """Not sent after its consent ended; a forwarder stopped between publishing and
    recording may have sent it before."""


FIRST = ("disclosure_id", "client_id", "position", "recipient_type", "recipient_id",
         "recipient_name", "purpose", "data_kinds", "description", "consent_id",
         "break_glass_id", "event_count", "recorded_at", "recorded_by", "status",
         "sent_at")  # fmt: skip
"""What a disclosure's first record fills in; a withdrawal fills in the rest."""


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "disclosure_id uuid PRIMARY KEY, client_id uuid NOT NULL, position bigint NOT NULL,"
    " recipient_type text NOT NULL, recipient_id text NOT NULL, recipient_name text NOT NULL,"
    " purpose text NOT NULL, data_kinds text[] NOT NULL, description text NOT NULL,"
    " consent_id uuid, break_glass_id uuid, event_count integer NOT NULL,"
    " recorded_at timestamptz NOT NULL, recorded_by text NOT NULL, status text NOT NULL,"
    " sent_at timestamptz, withdrawn_at timestamptz, withdrawn_reason text",
    {"client": "(client_id, position)"},
)


def first_record(
    position: int, event: DisclosureIntended | DisclosureRecorded
) -> tuple[object, ...]:
    """A disclosure's row as its first record (an intent, or one recorded sent) makes it."""
    status, break_glass_id, sent_at = Status.INTENDED, None, None
    if isinstance(event, DisclosureRecorded):
        status, break_glass_id, sent_at = Status.SENT, event.break_glass_id, event.occurred_at
    r = event.recipient
    return (event.disclosure_id, event.client_id, position, r.type.value, r.id, r.name,
            event.purpose, [k.value for k in event.data_kinds], event.description,
            event.consent_id, break_glass_id, len(event.event_ids), event.recorded_at,
            event.actor.id, status.value, sent_at)  # fmt: skip


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    intended = Pending(conn, t, ["disclosure_id"], FIRST, position="position")
    # Sent: the intent's row if there is one (applied again: already sent, left as it is).
    sent = sql.SQL(
        "INSERT INTO {} AS d ({}) VALUES ({}) ON CONFLICT (disclosure_id) DO UPDATE"
        " SET status = EXCLUDED.status, sent_at = EXCLUDED.sent_at"
        " WHERE d.status = %s AND d.client_id = EXCLUDED.client_id"
    ).format(
        t,
        sql.SQL(", ").join(map(sql.Identifier, FIRST)),
        sql.SQL(", ").join(sql.Placeholder() * len(FIRST)),
    )
    withdrawn = sql.SQL(
        "UPDATE {} SET status = %s, withdrawn_at = %s, withdrawn_reason = %s"
        " WHERE disclosure_id = %s AND client_id = %s AND status = %s"
    ).format(t)
    for item in batch:
        event = item.event
        if isinstance(event, DisclosureIntended):
            intended.add(first_record(item.position, event))
        elif isinstance(event, DisclosureRecorded):
            await intended.flush()
            await conn.execute(sent, (*first_record(item.position, event), Status.INTENDED.value))
        elif isinstance(event, DisclosureWithdrawn):
            await intended.flush()
            await conn.execute(withdrawn, (Status.WITHDRAWN.value, event.occurred_at, event.reason,
                                           event.disclosure_id, event.client_id,
                                           Status.INTENDED.value))  # fmt: skip
    await intended.flush()


class Disclosure(TypedDict):
    disclosure_id: UUID
    client_id: UUID
    position: int
    recipient_type: str
    recipient_id: str
    recipient_name: str
    purpose: str
    data_kinds: list[str]
    description: str
    consent_id: UUID | None
    break_glass_id: UUID | None
    event_count: int
    recorded_at: datetime
    recorded_by: str
    status: str
    sent_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


async def of_client(
    pool: AsyncConnectionPool,
    client_id: UUID,
    since: datetime | None,
    *,
    after: int = 0,
    first: int,
) -> list[Disclosure]:
    """A page of a client's disclosures (first recorded at ``since`` or later, if given), in
    the order they were first recorded: the ``first`` after store position ``after``."""
    query = sql.SQL(
        "SELECT * FROM {} WHERE client_id = %s AND position > %s"
        " AND (%s::timestamptz IS NULL OR recorded_at >= %s) ORDER BY position LIMIT %s"
    ).format(sql.Identifier(NAME))
    return await fetch(pool, Disclosure, query, (client_id, after, since, since, first))
