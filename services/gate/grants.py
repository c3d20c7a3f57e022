"""A reader's standing with a client, loaded from the access read models.

A read here whose connection is lost is refused UNAVAILABLE to retry
(``unavailable_when_lost``): it decided nothing, though it ran inside a mutation.

One round trip reads what ``policy.decide`` needs: care-team membership now, consents that
name the reader, are in force (not revoked, neither past their date nor expired on the
client's discharge) and someone else recorded (a consent naming its recorder,
kept before such consents were refused, grants them nothing), an open emergency access,
the client's program and any restrictions on their own view. Times are compared with the
database clock, as the projections record them; a blind taper's end date with the program's
dosing day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Kind, Role
from carecoord.projections import break_glass, careteam, consents, restrictions, timeline
from carecoord.projections.timeline_feed import Probe
from carecoord.services.careteam.team import CareTeam
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.infrastructure.coalesced import Coalesced
from carecoord.services.infrastructure.connection_lost import (
    once_more_when_lost,
    unavailable_when_lost,
)
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import Forbidden
from carecoord.services.kernel.policy import (
    PROGRAM_WIDE,
    ActiveConsent,
    Emergency,
    Grant,
    Restriction,
    Standing,
    decide,
    program_policy,
)
from carecoord.services.medication.record import MedicationRecord

# The read models a grant is decided from: a reader waits for them like for the timeline.
ACCESS_MODELS = (careteam.NAME, consents.NAME, break_glass.NAME, restrictions.NAME)
DECIDED_FROM = (*ACCESS_MODELS, timeline.NAME)
"""The views ``standing`` reads (the timeline: the client's program): no grant is decided
while another version's derivation of one is live (``Progress.require_current``)."""

# The records whose events change who may see or record what about a client: its care
# team; consents and emergency access; and, for the client's own view, the medication
# record (a blind taper restricts it).
ACCESS_RECORDS = (CareTeam.context, ConsentRecord.context)
OWN_VIEW_RECORDS = (MedicationRecord.context,)

_LAST_CHANGE = """SELECT coalesce(max(last.position), 0) AS access_changed_at
FROM unnest(%s::uuid[]) AS record(id),
LATERAL (SELECT notification_id AS position FROM {} WHERE originator_id = record.id
         ORDER BY originator_version DESC LIMIT 1) AS last"""


def access_records(client_ids: Iterable[UUID], contexts: Iterable[str]) -> list[UUID]:
    """The aggregates in ``contexts`` (care team, consents, ...) of these clients."""
    return [aggregate_id(context, c) for c in client_ids for context in contexts]


@unavailable_when_lost
async def last_access_change(
    conn: AsyncConnection, events_table: str, records: Iterable[UUID]
) -> int:
    """The store position of the newest event of these access records (``access_records``).

    Read from the store itself (one primary-key probe per record), so an access decision
    can wait for the views to have it: a removal recorded before a request counts for that
    request, however far the projector lags.
    """
    query = sql.SQL(_LAST_CHANGE).format(sql.Identifier(events_table))
    cur = await conn.execute(query, (list(records),))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


def any_reader_probe(probe: Coalesced[UUID, int]) -> Probe:
    """``probe`` for whoever reads these clients: the records every reader's grant rests on,
    and those a client reading their own record waits for too (a stricter wait for others)."""

    async def newest(clients: Sequence[UUID]) -> int:
        return await probe.ask(access_records(clients, ACCESS_RECORDS + OWN_VIEW_RECORDS))

    return newest


def access_change_probe(pool: AsyncConnectionPool, events_table: str) -> Coalesced[UUID, int]:
    """``last_access_change`` on the primary for the decisions of one process: those waiting
    together share one statement (a later position for some is a stricter wait for all),
    asked once more when its connection was lost, since it fails every request waiting on it."""

    async def newest(records: frozenset[UUID]) -> int:
        async with autocommitted(pool) as conn:
            return await last_access_change(conn, events_table, records)

    return Coalesced(lambda records: once_more_when_lost(pool, lambda: newest(records)))


_STANDINGS = sql.SQL(
    """SELECT c.client_id,
    EXISTS (SELECT 1 FROM {care_team} WHERE client_id = c.client_id AND member_id = %(member)s
            AND role = %(role)s AND started_at <= now()
            AND (ended_at IS NULL OR ended_at > now())) AS on_care_team,
    (SELECT CASE WHEN bool_or(ended_at IS NULL) THEN NULL ELSE max(ended_at) END
          FROM {care_team} WHERE client_id = c.client_id AND member_id = %(member)s
          AND role = %(role)s AND started_at <= now()
          AND (ended_at IS NULL OR ended_at > now())) AS team_ends_at,
    (SELECT facts->>'program' FROM {timeline} WHERE client_id = c.client_id
            AND type = 'care.ClientEnrolled' LIMIT 1) AS program,
    ARRAY(SELECT json_build_object('id', consent_id, 'kinds', data_kinds,
                                   'expires_at', expires_at)
          FROM {consents} WHERE client_id = c.client_id AND %(member)s = ANY(member_ids)
          AND recorded_by <> %(member)s
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
          AND (ended_at IS NULL OR ended_at > now())
          ORDER BY position) AS consents,
    (SELECT json_build_object('id', access_id, 'expires_at', expires_at)
          FROM {break_glass} WHERE client_id = c.client_id AND member_id = %(member)s
          AND role = %(role)s AND expires_at > now()
          ORDER BY expires_at DESC LIMIT 1) AS emergency,
    ARRAY(SELECT DISTINCT restriction FROM {restrictions} WHERE client_id = c.client_id
          AND (until IS NULL OR until >= %(today)s)) AS restrictions
    FROM unnest(%(clients)s::uuid[]) AS c(client_id)"""
).format(
    care_team=sql.Identifier(careteam.NAME),
    timeline=sql.Identifier(timeline.NAME),
    consents=sql.Identifier(consents.NAME),
    break_glass=sql.Identifier(break_glass.NAME),
    restrictions=sql.Identifier(restrictions.NAME),
)
"""Each client's standing, every client's read in the one statement (one snapshot, so each
is decided on the views as they stood together): a caseload's thousand clients took a
thousand statements and round trips."""


@unavailable_when_lost
async def standings(
    conn: AsyncConnection, reader: Actor, client_ids: Sequence[UUID], today: date
) -> dict[UUID, Standing]:
    """``today``: the program's dosing day, which a blind taper's end date is a day of (the
    database's own date differs from it for hours each day outside UTC)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        _STANDINGS,
        {
            "clients": list(client_ids),
            "member": reader.id,
            "role": reader.role.value,
            "today": today,
        },
    )
    return {
        found["client_id"]: Standing(
            on_care_team=found["on_care_team"],
            team_ends_at=found["team_ends_at"],
            is_self=reader.role is Role.CLIENT and reader.id == str(found["client_id"]),
            consents=tuple(_consent(c) for c in found["consents"]),
            emergency=_emergency(found["emergency"]),
            program=program_policy(found["program"]),
            restrictions=frozenset(Restriction(r) for r in found["restrictions"]),
        )
        for found in await cur.fetchall()
    }


async def grants_for(
    conn: AsyncConnection, reader: Actor, client_ids: Sequence[UUID], today: date
) -> dict[UUID, Grant | Forbidden]:
    """What ``reader`` may see of each of ``client_ids`` now (``today`` the program's dosing
    day), or the refusal saying what would allow it; one statement however many clients,
    none for a program-wide role."""
    if reader.role in PROGRAM_WIDE:
        return dict.fromkeys(client_ids, _decided(reader.role, Standing()))
    found = await standings(conn, reader, client_ids, today)
    return {c: _decided(reader.role, found[c]) for c in client_ids}


def _decided(role: Role, standing: Standing) -> Grant | Forbidden:
    try:
        return decide(role, standing)
    except Forbidden as refusal:
        return refusal


_ON_TEAM = sql.SQL(
    """SELECT client_id, ended_at FROM {care_team} WHERE client_id = ANY(%(clients)s)
    AND member_id = %(member)s AND role = %(role)s AND started_at <= now()
    AND (ended_at IS NULL OR ended_at > now())"""
).format(care_team=sql.Identifier(careteam.NAME))


@unavailable_when_lost
async def on_care_team(
    conn: AsyncConnection, actor: Actor, client_ids: frozenset[UUID]
) -> dict[UUID, datetime | None]:
    """Those of ``client_ids`` whose care team ``actor`` is on now, in the role they act in,
    with when that membership ends (None: open)."""
    cur = await conn.execute(
        _ON_TEAM, {"clients": list(client_ids), "member": actor.id, "role": actor.role.value}
    )
    ends: dict[UUID, datetime | None] = {}
    for client_id, ended_at in await cur.fetchall():
        known = ends.get(client_id, ended_at)
        ends[client_id] = None if known is None or ended_at is None else max(known, ended_at)
    return ends


_PROGRAMS = sql.SQL(
    "SELECT client_id, facts->>'program' FROM {timeline}"
    " WHERE client_id = ANY(%s) AND type = 'care.ClientEnrolled'"
).format(timeline=sql.Identifier(timeline.NAME))


@unavailable_when_lost
async def programs_of(conn: AsyncConnection, client_ids: frozenset[UUID]) -> dict[UUID, str]:
    """The program each enrolled client of ``client_ids`` belongs to."""
    cur = await conn.execute(_PROGRAMS, (list(client_ids),))
    return {client_id: str(program) for client_id, program in await cur.fetchall()}


_CLIENTS_OF = sql.SQL(
    "SELECT client_id FROM {timeline} WHERE type = 'care.ClientEnrolled' AND facts->>'program' = %s"
).format(timeline=sql.Identifier(timeline.NAME))


@unavailable_when_lost
async def clients_of(conn: AsyncConnection, program: str) -> list[UUID]:
    """The clients enrolled in ``program``."""
    cur = await conn.execute(_CLIENTS_OF, (program,))
    return [client_id for (client_id,) in await cur.fetchall()]


_SPELLED_OTHERWISE = sql.SQL(
    "SELECT facts->>'program' FROM {timeline} WHERE type = 'care.ClientEnrolled'"
    " AND lower(facts->>'program') = lower(%(program)s) AND facts->>'program' <> %(program)s"
    " LIMIT 1"
).format(timeline=sql.Identifier(timeline.NAME))


@unavailable_when_lost
async def spelled_otherwise(conn: AsyncConnection, program: str) -> str | None:
    """A program clients are enrolled in whose name is ``program``'s in other letters' case,
    if there is one (two spaces for one are refused as a name is read: ``site_named``)."""
    cur = await conn.execute(_SPELLED_OTHERWISE, {"program": program})
    found = await cur.fetchone()
    return None if found is None else str(found[0])


def _consent(raw: dict[str, Any]) -> ActiveConsent:
    expires = raw["expires_at"]
    return ActiveConsent(
        UUID(raw["id"]),
        frozenset(Kind(k) for k in raw["kinds"]),
        datetime.fromisoformat(expires) if expires else None,
    )


def _emergency(raw: dict[str, Any] | None) -> Emergency | None:
    if raw is None:
        return None
    return Emergency(UUID(raw["id"]), datetime.fromisoformat(raw["expires_at"]))
