"""Clinical alerts through the API: a client's alerts, the reader's own queue (alerts of the
clients whose care team they are on now), and acknowledging and resolving with a note."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from psycopg import sql
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events import Kind
from carecoord.graphql.care import Recorded, recorded
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import alerts, careteam
from carecoord.services.alerts import commands
from carecoord.services.alerts.record import Status
from carecoord.services.kernel.access import Action

strawberry.enum(Status, name="AlertStatus", description="Open until resolved.")

MAX_ALERTS = 500


@strawberry.type(description="A rule fired on a client's record (FHIR DetectedIssue).")
class Alert:
    alert_id: UUID
    client_id: UUID
    rule_id: str
    rule_version: str
    severity: str = strawberry.field(description="high | moderate | low")
    title: str
    detail: str
    action: str = strawberry.field(description="What the rule's source recommends.")
    evidence: list[UUID] = strawberry.field(description="Event ids that triggered it.")
    status: Status
    raised_at: datetime
    position: int = strawberry.field(description="Where it was raised in the event log.")
    history: JSON = strawberry.field(description="Acknowledgements and resolutions, in order.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> Alert:
        return cls(
            alert_id=row["alert_id"],
            client_id=row["client_id"],
            rule_id=row["rule_id"],
            rule_version=row["rule_version"],
            severity=row["severity"],
            title=row["title"],
            detail=row["detail"],
            action=row["action"],
            evidence=[UUID(e) for e in row["evidence"]],
            status=Status(row["status"]),
            raised_at=row["raised_at"],
            position=row["raised_position"],
            history=row["history"],
        )


@strawberry.input(description="Acknowledge (seen, acting) or resolve an alert, with a note.")
class AlertNoteInput:
    client_id: UUID
    alert_id: UUID
    note: str
    occurred_at: datetime | None = None


_ON_TEAM_NOW = sql.SQL(
    "EXISTS (SELECT 1 FROM {care_team} c WHERE c.client_id = a.client_id"
    " AND c.member_id = %s AND c.role = %s AND c.started_at <= now()"
    " AND (c.ended_at IS NULL OR c.ended_at > now()))"
).format(care_team=sql.Identifier(careteam.NAME))


async def _rows(ctx: RequestContext, where: list[sql.Composable], params: list[Any]) -> list[Any]:
    query = sql.SQL("SELECT a.* FROM {} a WHERE {} ORDER BY raised_at, raised_position LIMIT %s")
    return await ctx.rows(
        query.format(sql.Identifier(alerts.NAME), sql.SQL(" AND ").join(where)),
        [*params, MAX_ALERTS],
    )


def _status_filter(status: list[Status] | None) -> tuple[list[sql.Composable], list[Any]]:
    if not status:
        return [], []
    return [sql.SQL("a.status = ANY(%s)")], [[s.value for s in status]]


@strawberry.type
class AlertQuery:
    @strawberry.field(description="A client's alerts, oldest first.")
    async def client_alerts(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        status: list[Status] | None = None,
        at_least: AtLeast = None,
    ) -> list[Alert]:
        ctx = info.context
        grant = await ctx.gate.readable(client_id, operation="clientAlerts", at_least=at_least)
        await ctx.caught_up(alerts.NAME, at_least)
        rows = []
        if grant.shows(Kind.ALERT, authored_by_reader=False):
            where, params = _status_filter(status)
            rows = await _rows(ctx, [sql.SQL("a.client_id = %s"), *where], [client_id, *params])
        await ctx.gate.record_read(
            client_id,
            grant,
            operation="clientAlerts",
            kinds=[Kind.ALERT] * len(rows),
            count=len(rows),
        )
        return [Alert.of(r) for r in rows]

    @strawberry.field(
        description="Alerts of the clients whose care team you are on now (open ones by default)."
    )
    async def my_alerts(
        self,
        info: Info[RequestContext, None],
        status: list[Status] | None = None,
        at_least: AtLeast = None,
    ) -> list[Alert]:
        ctx = info.context
        reader = ctx.reader()
        await ctx.caught_up(alerts.NAME, at_least)
        where, params = _status_filter(status or [Status.OPEN, Status.ACKNOWLEDGED])
        rows = await _rows(ctx, [_ON_TEAM_NOW, *where], [reader.id, reader.role.value, *params])
        granted = await ctx.gate.readable_each((r["client_id"] for r in rows), operation="myAlerts")
        shown = {
            client_id: [
                r
                for r in rows
                if r["client_id"] == client_id and grant.shows(Kind.ALERT, authored_by_reader=False)
            ]
            for client_id, grant in granted.items()
        }
        await asyncio.gather(
            *(
                ctx.gate.record_read(
                    client_id,
                    granted[client_id],
                    operation="myAlerts",
                    kinds=[Kind.ALERT] * len(mine),
                    count=len(mine),
                )
                for client_id, mine in shown.items()
            )
        )
        alerts_shown = [Alert.of(r) for mine in shown.values() for r in mine]
        return sorted(alerts_shown, key=lambda a: (a.raised_at, a.position))


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Acknowledge an open alert: seen, acting on it.")
    async def acknowledge_alert(
        self, info: Info[RequestContext, None], input: AlertNoteInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            commands.acknowledge_alert(
                await ctx.gate.stamp(Action.ACKNOWLEDGE_ALERT, input.client_id),
                client_id=input.client_id,
                alert_id=input.alert_id,
                note=input.note,
                occurred_at=input.occurred_at,
            ),
        )

    @strawberry.mutation(description="Resolve an alert, saying what was done.")
    async def resolve_alert(
        self, info: Info[RequestContext, None], input: AlertNoteInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            commands.resolve_alert(
                await ctx.gate.stamp(Action.RESOLVE_ALERT, input.client_id),
                client_id=input.client_id,
                alert_id=input.alert_id,
                note=input.note,
                occurred_at=input.occurred_at,
            ),
        )
