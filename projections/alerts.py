"""Alerts per client: one row per alert with its status and its history of notes.

Routing to people is a query-time join with the ``care_team`` view (who is on the client's
team now), so a member who joins later sees the client's open alerts and one who leaves
stops seeing them, without rewriting rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import AsyncConnection, sql

from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_table

NAME = "alerts"

STATUS_AFTER = {AlertAcknowledged: "acknowledged", AlertResolved: "resolved"}


table = generation_table(NAME)


def ddl(generation: int) -> list[sql.Composed]:
    t = table(generation)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " alert_id uuid PRIMARY KEY,"
            " client_id uuid NOT NULL,"
            " rule_id text NOT NULL,"
            " rule_version text NOT NULL,"
            " severity text NOT NULL,"
            " title text NOT NULL,"
            " detail text NOT NULL,"
            " action text NOT NULL,"
            " evidence jsonb NOT NULL,"
            " caused_by uuid,"
            " status text NOT NULL,"
            " raised_at timestamptz NOT NULL,"
            " raised_position bigint NOT NULL,"
            " updated_position bigint NOT NULL,"
            " history jsonb NOT NULL)"
        ).format(t),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (client_id, status, raised_at)").format(
            sql.Identifier(f"{NAME}_g{generation}_client"), t
        ),
    ]


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    for item in batch:
        event = item.event
        if isinstance(event, AlertRaised):
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (alert_id, client_id, rule_id, rule_version, severity, title,"
                    " detail, action, evidence, caused_by, status, raised_at, raised_position,"
                    " updated_position, history)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', %s, %s, %s, '[]')"
                    " ON CONFLICT (alert_id) DO NOTHING"
                ).format(t),
                (
                    event.alert_id, event.client_id, event.rule_id, event.rule_version,
                    event.severity.value, event.title, event.detail, event.action,
                    json.dumps([str(e) for e in event.evidence]), event.causation_id,
                    event.occurred_at, item.position, item.position,
                ),
            )  # fmt: skip
        elif isinstance(event, AlertAcknowledged | AlertResolved):
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
                    " history = history || %s::jsonb WHERE alert_id = %s"
                ).format(t),
                (step["status"], item.position, json.dumps([step]), event.alert_id),
            )
