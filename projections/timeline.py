"""The client timeline: one row per recorded fact, in clinical order.

Plain code from event to row. The live projector inserts rows a batch at a time and a
rebuild copies them in bulk; both call ``row`` so the two can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, LiteralString, TypedDict
from uuid import UUID

from psycopg import AsyncConnection, pq, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Kind
from carecoord.events.access import DisclosureIntended, DisclosureRecorded
from carecoord.events.care import (
    EPISODE_CORRECTIONS,
    ClientDischarged,
    ClientEnrolled,
    ClientReadmitted,
    LevelOfCareChanged,
)
from carecoord.events.envelope import CareEvent, type_name
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import Copied, generation_ddl, generation_table
from carecoord.projections.inserts import insert_once
from carecoord.projections.rows import Shown, fetch, in_period
from carecoord.services.infrastructure.copy_writer import WithheldWriter

NAME = "timeline"
VERSION = 5
COLUMNS = (
    "position",
    "client_id",
    "event_id",
    "type",
    "kind",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_role",
    "summary",
    "facts",
)


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "position bigint PRIMARY KEY, client_id uuid NOT NULL, event_id uuid NOT NULL,"
    " type text NOT NULL, kind text NOT NULL, occurred_at timestamptz NOT NULL,"
    " recorded_at timestamptz NOT NULL, actor_id text NOT NULL, actor_role text NOT NULL,"
    " summary text NOT NULL, facts jsonb NOT NULL",
    {
        "clinical": "(client_id, occurred_at, position)",
        # Every read decides access from the client's program, named by their enrolment.
        "enrolment": "(client_id) WHERE type = 'care.ClientEnrolled'",
        # The caseload reads each client's last check-in (projections/caseload.py).
        "checked_in": "(client_id, occurred_at)"
        " WHERE type IN ('checkins.CheckInRecorded', 'checkins.InstrumentScored')",
        # The caseload reads whether each client is discharged now (projections/caseload.py).
        "episode": "(client_id, occurred_at, position)"
        " WHERE type IN ('care.ClientDischarged', 'care.ClientReadmitted')",
        # Whether one of those is marked entered in error (``standing``).
        "episode_in_error": "(client_id)"
        " WHERE type IN ('care.DischargeEnteredInError', 'care.ReadmissionEnteredInError')",
    },
    # Read (facts->>'program' and the like), never compared as a whole.
    unsampled=("summary", "facts"),
)


ENVELOPE = frozenset({*CareEvent.model_fields, *CareEvent.model_computed_fields})
"""What every event says besides its own fields (who, when, ids): the row's other columns
carry what a reader may see of it, ``facts`` only the event's own fields."""


_EXCLUDED = set(ENVELOPE)


_named = cache(type_name)
"""The type column of a class's rows."""

DISCLOSING = (DisclosureIntended, DisclosureRecorded)
"""Entries naming the kinds of the record they sent (``data_kinds``), and counting them."""


def disclosure_shown(kinds_sent: Collection[str], disclosed: Collection[Kind] | None) -> bool:
    """Whether a disclosure that sent ``kinds_sent`` is shown to a reader shown disclosures of
    ``disclosed`` kinds alone (None: every disclosure; ``policy.disclosures_shown``)."""
    return disclosed is None or {Kind(k) for k in kinds_sent} <= set(disclosed)


def row(item: Positioned) -> tuple[Any, ...]:
    event = item.event
    return (
        item.position,
        event.client_id,
        event.event_id,
        _named(type(event)),
        event.kind.value,  # the event's: a correction's is its entry's
        event.occurred_at,
        event.recorded_at,
        event.actor.id,
        event.actor.role.value,
        event.summary(),
        # ``model_dump_json`` without its wrapper: a rebuild makes this for every event.
        event.__pydantic_serializer__.to_json(event, exclude=_EXCLUDED).decode(),
    )


COPIED = Copied(COLUMNS, lambda batch: [row(item) for item in batch])


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    """Append rows (the projector only hands over positions not yet applied): with COPY,
    or as INSERTs where COPY cannot go, in a pipelined batch's one round trip."""
    if conn.info.pipeline_status is not pq.PipelineStatus.OFF:
        await insert_once(conn, table(generation), ("position",), COLUMNS, list(map(row, batch)))
        return
    columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    copy_in = sql.SQL("COPY {} ({}) FROM STDIN").format(table(generation), columns)
    async with conn.cursor() as cur, cur.copy(copy_in, writer=WithheldWriter(cur)) as copy:
        for item in batch:
            await copy.write_row(row(item))


class Entry(TypedDict):
    """A timeline row as read: ``facts`` as JSON text, decoded only if a reader asks."""

    position: int
    client_id: UUID
    event_id: UUID
    type: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    summary: str
    facts: str


_ENTRY = sql.SQL(", ").join(
    [sql.Identifier(c) for c in COLUMNS if c != "facts"] + [sql.SQL("facts::text")]
)


async def page(
    pool: AsyncConnectionPool,
    client_id: UUID,
    shown: Shown,
    *,
    limit: int,
    kinds: Sequence[Kind] = (),
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    recorded_until: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    alert_rules: Collection[str] | None = None,
    disclosed: Collection[Kind] | None = None,
) -> list[Entry]:
    """Up to ``limit`` of a client's entries in clinical order (occurred, then position),
    those ``shown`` allows, of alerts those of ``alert_rules`` (None: every rule's), of
    disclosures those sending kinds of ``disclosed`` alone (None: every one); ``after`` is
    the (occurred_at, position) of the last one seen."""
    readable, readable_params = shown.where()
    where = [sql.SQL("client_id = %s"), readable]
    params: list[Any] = [client_id, *readable_params]
    bounds: list[tuple[LiteralString, Any]] = [
        ("kind = ANY(%s)", [k.value for k in kinds] if kinds else None),
        ("occurred_at >= %s", occurred_from),
        ("occurred_at < %s", occurred_to),
        ("recorded_at <= %s", recorded_until),
        (
            "(kind <> 'alert' OR facts->>'rule_id' = ANY(%s))",
            None if alert_rules is None else sorted(alert_rules),
        ),
    ]
    if disclosed is not None:
        where.append(sql.SQL("(type <> ALL(%s) OR facts->'data_kinds' <@ %s::jsonb)"))
        params += [[_named(c) for c in DISCLOSING], json.dumps(sorted(disclosed))]
    for condition, value in bounds:
        if value is not None:
            where.append(sql.SQL(condition))
            params.append(value)
    if after is not None:
        where.append(sql.SQL("(occurred_at, position) > (%s, %s)"))
        params.extend(after)
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY occurred_at, position LIMIT %s").format(
        _ENTRY, sql.Identifier(NAME), sql.SQL(" AND ").join(where)
    )
    params.append(limit)
    return await fetch(pool, Entry, query, params)


async def appended(
    pool: AsyncConnectionPool, clients: Sequence[UUID], after: int, through: int, limit: int
) -> list[Entry]:
    """The first ``limit`` entries of ``clients`` at positions ``after`` < p <= ``through``,
    in log order (the live feed, one statement for every subscription; it decides what each
    reader is shown)."""
    query = sql.SQL(
        "SELECT {} FROM {} WHERE client_id = ANY(%s) AND position > %s AND position <= %s"
        " ORDER BY position LIMIT %s"
    ).format(_ENTRY, sql.Identifier(NAME))
    return await fetch(pool, Entry, query, (list(clients), after, through, limit))


def standing(alias: str) -> sql.Composable:
    """That the row ``alias`` (a discharge or readmission) is not marked entered in error:
    no episode correction of the client names its event."""
    return sql.SQL(
        "NOT EXISTS (SELECT 1 FROM {} x WHERE x.client_id = {a}.client_id"
        " AND x.type IN ({}) AND x.facts->>'entry_event_id' = {a}.event_id::text)"
    ).format(
        sql.Identifier(NAME),
        sql.SQL(", ").join(sql.Literal(type_name(c)) for c in EPISODE_CORRECTIONS),
        a=sql.Identifier(alias),
    )


class Stint(TypedDict):
    """A change of level of care, and when the next one ended it (None: it holds)."""

    position: int
    occurred_at: datetime
    actor_id: str
    actor_role: str
    facts: dict[str, Any]
    until: datetime | None


async def level_of_care_stints(
    pool: AsyncConnectionPool,
    client_id: UUID,
    shown: Shown,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    limit: int | None = None,
) -> list[Stint]:
    """A client's levels of care in clinical order, those ``shown`` allows (those that
    began from ``occurred_from``, before ``occurred_to``, each ending where the next began
    or the client was discharged, in the period or not, by a discharge not marked entered
    in error); the first ``limit`` (all when None)."""
    readable, params = shown.where()
    period, bounds = in_period("occurred_at", occurred_from, occurred_to)
    query = sql.SQL(
        "SELECT position, occurred_at, actor_id, actor_role, facts, until FROM"
        " (SELECT position, occurred_at, actor_id, actor_role, facts, type,"
        " lead(occurred_at) OVER (ORDER BY occurred_at, position) AS until"
        " FROM {} t WHERE client_id = %s AND type = ANY(%s) AND {} AND {}) stints"
        " WHERE type = %s AND {} ORDER BY occurred_at, position LIMIT %s"
    ).format(sql.Identifier(NAME), readable, standing("t"), period)
    changed = type_name(LevelOfCareChanged)
    ending = [changed, type_name(ClientDischarged)]
    params = [client_id, ending, *params, changed, *bounds, limit]
    return await fetch(pool, Stint, query, params)


class EpisodeStep(TypedDict):
    """An enrolment, discharge or readmission: where a treatment episode begins or ends;
    or the correction of a discharge or readmission entered in error."""

    position: int
    event_id: UUID
    type: str
    occurred_at: datetime
    actor_id: str
    actor_role: str
    facts: dict[str, Any]


EPISODE_STEPS: tuple[type[CareEvent], ...] = (
    ClientEnrolled,
    ClientDischarged,
    ClientReadmitted,
    *EPISODE_CORRECTIONS,
)


async def episode_steps(
    pool: AsyncConnectionPool, client_id: UUID, shown: Shown, limit: int | None = None
) -> list[EpisodeStep]:
    """A client's enrolment, discharges and readmissions in clinical order, and the
    corrections of those entered in error, those ``shown`` allows; the first ``limit`` (all
    when None)."""
    readable, params = shown.where()
    query = sql.SQL(
        "SELECT position, event_id, type, occurred_at, actor_id, actor_role, facts FROM {}"
        " WHERE client_id = %s AND type = ANY(%s) AND {}"
        " ORDER BY occurred_at, position LIMIT %s"
    ).format(sql.Identifier(NAME), readable)
    types = [type_name(t) for t in EPISODE_STEPS]
    return await fetch(pool, EpisodeStep, query, [client_id, types, *params, limit])


class Readmitted(TypedDict):
    day: date | None


async def readmitted_by(
    pool: AsyncConnectionPool, client_id: UUID, day: date, zone: str
) -> date | None:
    """The program day (in ``zone``) of the client's latest readmission on or before
    ``day`` (not marked entered in error), the first of the episode in progress then; None
    while in their first."""
    query = sql.SQL(
        "SELECT max((occurred_at AT TIME ZONE %(zone)s)::date) AS day FROM {} t"
        " WHERE client_id = %(client)s AND type = %(type)s"
        " AND (occurred_at AT TIME ZONE %(zone)s)::date <= %(day)s AND {}"
    ).format(sql.Identifier(NAME), standing("t"))
    params = {"zone": zone, "client": client_id, "type": type_name(ClientReadmitted), "day": day}
    [found] = await fetch(pool, Readmitted, query, params)
    return found["day"]
