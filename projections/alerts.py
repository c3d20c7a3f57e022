"""Alerts per client: one row per alert with its status and its history of notes.

Routing to people is a query-time join with the ``care_team`` view (who is on the client's
team now), so a member who joins later sees the client's open alerts and one who leaves
stops seeing them, without rewriting rows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Role
from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.checkins import CheckInEnteredInError
from carecoord.events.positioned import Positioned
from carecoord.events.therapy import SessionOutcome, SessionOutcomeCorrected
from carecoord.projections import careteam
from carecoord.projections.generations import generation_ddl, generation_table
from carecoord.projections.inserts import Pending
from carecoord.projections.rows import fetch, in_period
from carecoord.services.alerts.record import Status

NAME = "alerts"
VERSION = 1
READS = (
    AlertRaised,
    AlertAcknowledged,
    AlertResolved,
    CheckInEnteredInError,
    SessionOutcomeCorrected,
)
"""The events ``apply`` reads (a rebuild decodes no other for it)."""

STATUS_AFTER = {AlertAcknowledged: "acknowledged", AlertResolved: "resolved"}

ROUTED_BY = (careteam.NAME, NAME)
"""The read models ``routed_to`` reads: a reader waits for each of them (two projectors
sharing the models may have applied a write to one and not yet to the other)."""


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "alert_id uuid PRIMARY KEY, client_id uuid NOT NULL, rule_id text NOT NULL,"
    " rule_version text NOT NULL, severity text NOT NULL, title text NOT NULL,"
    " detail text NOT NULL, action text NOT NULL, evidence jsonb NOT NULL, caused_by uuid,"
    " status text NOT NULL, raised_at timestamptz NOT NULL, raised_position bigint NOT NULL,"
    " updated_position bigint NOT NULL, history jsonb NOT NULL",
    {"client": "(client_id, status, raised_at)", "raised": "(raised_position)"},
)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    raised = Pending(
        conn, t, ["alert_id"], tuple(Alert.__annotations__), position="raised_position"
    )
    for item in batch:
        event = item.event
        if isinstance(event, AlertRaised):
            raised.add((event.alert_id, event.client_id, event.rule_id, event.rule_version,
                        event.severity.value, event.title, event.detail, event.action,
                        json.dumps([str(e) for e in event.evidence]), event.causation_id,
                        "open", event.occurred_at, item.position, item.position,
                        "[]"))  # fmt: skip
        elif isinstance(event, AlertAcknowledged | AlertResolved):
            await raised.flush()
            step = {
                "status": STATUS_AFTER[type(event)],
                "at": event.occurred_at.isoformat(),
                "by": event.actor.id,
                "role": event.actor.role.value,
                "note": event.note,
                "position": item.position,
            }
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = %s, updated_position = %s,"
                    " history = history || %s::jsonb WHERE alert_id = %s AND client_id = %s"
                ).format(t),
                (
                    step["status"],
                    item.position,
                    json.dumps([step]),
                    event.alert_id,
                    event.client_id,
                ),
            )
        elif isinstance(event, CheckInEnteredInError):
            await raised.flush()
            await _evidence_in_error(conn, t, item.position, event, event.entry_event_id)
        elif isinstance(event, SessionOutcomeCorrected) and _no_show_undone(event):
            await raised.flush()
            await _evidence_in_error(conn, t, item.position, event, event.corrects_event_id)
    await raised.flush()


def _no_show_undone(event: SessionOutcomeCorrected) -> bool:
    """A no-show corrected to another outcome: the no-show (or the correction that made it
    one) is no longer evidence of a run of no-shows."""
    return (
        event.previous_outcome is SessionOutcome.NO_SHOW
        and event.outcome is not SessionOutcome.NO_SHOW
    )


async def _evidence_in_error(
    conn: AsyncConnection,
    t: sql.Identifier,
    position: int,
    event: CheckInEnteredInError | SessionOutcomeCorrected,
    in_error: UUID,
) -> None:
    """An alert raised from an entry later entered in error (or a no-show corrected) stays
    as it stands, open until someone on the care team resolves it with a note: the follow-up
    it asked for (a PHQ-9 item 9 call, a QTc review, outreach) may be under way, and whether
    it is still needed is a clinician's call, not the system's. Its history gets a step
    naming the evidence now in error (``evidence_in_error``), so every list shows it; the
    correction's reason stays with the correction, which not every reader of alerts is
    shown."""
    step = {
        "evidence_in_error": str(in_error),
        "at": event.occurred_at.isoformat(),
        "by": event.actor.id,
        "role": event.actor.role.value,
        "position": position,
    }
    await conn.execute(
        sql.SQL(
            "UPDATE {} SET updated_position = %s, history = history || %s::jsonb"
            " WHERE client_id = %s AND evidence @> %s::jsonb AND updated_position < %s"
        ).format(t),
        (
            position,
            json.dumps([step]),
            event.client_id,
            json.dumps([str(in_error)]),
            position,
        ),
    )


class Alert(TypedDict):
    """An alert as it stands, with its notes in order (``history``)."""

    alert_id: UUID
    client_id: UUID
    rule_id: str
    rule_version: str
    severity: str
    title: str
    detail: str
    action: str
    evidence: list[str]
    caused_by: UUID | None
    status: str
    raised_at: datetime
    raised_position: int
    updated_position: int
    history: list[dict[str, Any]]


Period = tuple[datetime | None, datetime | None]
"""Raised from the first time, before the second; an end left open (None) is not bounded."""


Place = tuple[datetime, int]
"""An alert's place in a queue's order: when it was raised, and where in the log."""


def _kept(
    status: Collection[Status], raised: Period, after: Place | None = None
) -> tuple[sql.Composable, list[Any]]:
    """The WHERE condition on alerts ``a`` keeping those in ``status`` (or all), raised in
    the period ``raised`` and past the place ``after``, and its parameters."""
    period, params = in_period("raised_at", *raised)
    conditions = [period]
    if status:
        conditions.append(sql.SQL("a.status = ANY(%s)"))
        params = [*params, [s.value for s in status]]
    if after is not None:
        conditions.append(sql.SQL("(a.raised_at, a.raised_position) > (%s, %s)"))
        params = [*params, *after]
    return sql.SQL(" AND ").join(conditions), params


async def _in_order(
    pool: AsyncConnectionPool,
    where: sql.Composable,
    params: list[Any],
    status: Collection[Status],
    raised: Period,
    limit: int,
) -> list[Alert]:
    kept, bounds = _kept(status, raised)
    query = sql.SQL(
        "SELECT a.* FROM {} a WHERE {} AND {} ORDER BY raised_at, raised_position LIMIT %s"
    ).format(sql.Identifier(NAME), where, kept)
    return await fetch(pool, Alert, query, [*params, *bounds, limit])


async def of_client(
    pool: AsyncConnectionPool,
    client_id: UUID,
    status: Collection[Status],
    raised: Period,
    limit: int,
) -> list[Alert]:
    """The first ``limit`` of a client's alerts (in ``status``, or all) raised in the period
    ``raised``, oldest first."""
    return await _in_order(pool, sql.SQL("a.client_id = %s"), [client_id], status, raised, limit)


_ROUTED = sql.SQL(
    """SELECT a.* FROM (SELECT DISTINCT client_id FROM {care_team} WHERE member_id = %s
    AND role = %s AND started_at <= now() AND (ended_at IS NULL OR ended_at > now())) AS c
    JOIN jsonb_to_recordset(%s::jsonb) AS g(clients uuid[], rules text[])
      ON c.client_id = ANY(g.clients)
    CROSS JOIN LATERAL (SELECT * FROM {alerts} a WHERE a.client_id = c.client_id AND {where}
        AND (g.rules IS NULL OR a.rule_id = ANY(g.rules))
        ORDER BY raised_at, raised_position LIMIT %s) AS a
    ORDER BY a.raised_at, a.raised_position LIMIT %s"""
)


RulesShown = Sequence[tuple[Collection[UUID], Collection[str] | None]]
"""The alerts a reader is shown: those of each group's clients whose rule is one of the
group's (None: any rule); a client in no group is shown none."""


async def routed_to(
    pool: AsyncConnectionPool,
    member_id: str,
    role: Role,
    status: Collection[Status],
    raised: Period,
    limit: int,
    after: Place | None = None,
    *,
    shown: RulesShown,
) -> list[Alert]:
    """The first ``limit`` alerts (in ``status``, or all) raised in the period ``raised``,
    oldest first (after the place ``after``), of the clients whose care team ``member_id``
    is on now in ``role``, those ``shown`` alone: a page, its end and whether more follow
    are made of the alerts the reader is shown.

    Read from the member's clients on: each client's alerts through its index, so the cost
    follows the caseload's alerts, not the program's."""
    where, params = _kept(status, raised, after)
    query = _ROUTED.format(
        care_team=sql.Identifier(careteam.NAME), alerts=sql.Identifier(NAME), where=where
    )
    groups = Jsonb(
        [
            {
                "clients": [str(c) for c in clients],
                "rules": None if rules is None else sorted(rules),
            }
            for clients, rules in shown
        ]
    )
    return await fetch(pool, Alert, query, [member_id, role.value, groups, *params, limit, limit])


async def raised_between(
    pool: AsyncConnectionPool, after: int, through: int, limit: int
) -> list[Alert]:
    """The first ``limit`` alerts raised at positions ``after`` < p <= ``through``, in the
    order raised, each as it stands (a live feed; the caller decides whom they are shown, and
    pages on: a feed resumed from 0 would otherwise hold every alert at once). Those resolved
    since count too: a feed resumed after a position gets every alert raised after it, as
    one that never went away did. Read through the ``raised`` index: without it each step of
    the feed (one per projected batch while a caseload subscription is open, one more for
    each position a feed catches up from) read every alert ever raised."""
    query = sql.SQL(
        "SELECT * FROM {} WHERE raised_position > %s AND raised_position <= %s"
        " ORDER BY raised_position LIMIT %s"
    ).format(sql.Identifier(NAME))
    return await fetch(pool, Alert, query, (after, through, limit))


class Raised:
    """The caseload feed's reads, shared: every subscription reads the same rows at a step
    (the alerts raised between two positions) and keeps its own reader's, so those that ask
    for a step together share one statement. One each, 100 subscriptions halved the rate
    the API took writes at."""

    def __init__(self) -> None:
        self._reading: dict[tuple[int, int, int], asyncio.Future[list[Alert]]] = {}

    async def between(
        self, pool: AsyncConnectionPool, after: int, through: int, limit: int
    ) -> list[Alert]:
        """``raised_between``, read once for every caller asking while it is being read."""
        key = (after, through, limit)
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(raised_between(pool, after, through, limit))
            self._reading[key] = reading
            reading.add_done_callback(lambda _: self._reading.pop(key, None))
        # Shielded: one subscriber gone (its socket closed) must not cancel the others' read.
        return await asyncio.shield(reading)
