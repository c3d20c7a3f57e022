"""The asking clinician's caseload: their clients (care team now) with what needs attention
first, and a live feed of new alerts for those clients.

The caseload is one set-based statement over the read models, whatever its size; each
client's fields are then shown only as far as the reader's grant on that client allows
(``RequestContext.readable``), and each client read is logged once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from psycopg import sql
from strawberry.types import Info

from carecoord.events import Kind
from carecoord.graphql.alerts import Alert
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import alerts, careteam, checkins, dosing, timeline
from carecoord.services.kernel.caseload import CASELOAD_RULES, Attention, reasons, urgency
from carecoord.services.kernel.policy import Grant, Listing

CASELOAD_MODELS = (careteam.NAME, timeline.NAME, alerts.NAME, dosing.NAME, checkins.NAME)
TAKEN = ["given", "replacement", "take-home"]
SESSION_CLOSED = [
    "therapy.SessionAttended",
    "therapy.SessionNoShow",
    "therapy.SessionLateCancelled",
]

_CASELOAD = sql.SQL(
    """WITH mine AS (
    SELECT client_id, min(started_at) AS since FROM {care_team}
    WHERE member_id = %(member)s AND role = %(role)s AND started_at <= now()
      AND (ended_at IS NULL OR ended_at > now())
    GROUP BY client_id),
enrolled AS (
    SELECT DISTINCT ON (t.client_id) t.client_id, t.facts->>'display_name' AS display_name,
           t.facts->>'program' AS program, t.occurred_at AS enrolled_at
    FROM {timeline} t JOIN mine USING (client_id)
    WHERE t.type = 'care.ClientEnrolled' ORDER BY t.client_id, t.position),
alerting AS (
    SELECT a.client_id, count(*) AS open_alerts,
           (array_agg(a.severity ORDER BY array_position(%(severities)s::text[], a.severity)))[1]
             AS top_severity
    FROM {alerts} a JOIN mine USING (client_id)
    WHERE a.status <> 'resolved' GROUP BY a.client_id),
taken AS (
    SELECT d.client_id, max(d.day) FILTER (WHERE d.status = ANY(%(taken)s)) AS last_dose_day
    FROM {dosing} d JOIN mine USING (client_id) GROUP BY d.client_id),
missing AS (
    SELECT d.client_id,
           count(DISTINCT d.day) FILTER (
             WHERE d.day > coalesce(k.last_dose_day, '-infinity'::date)) AS consecutive,
           count(DISTINCT d.day) FILTER (WHERE d.day >= %(missed_from)s) AS recent
    FROM {dosing} d JOIN taken k USING (client_id)
    WHERE d.status = 'missed' GROUP BY d.client_id),
checked AS (
    SELECT s.client_id, max(s.occurred_at) AS last_check_in
    FROM {checkins} s JOIN mine USING (client_id) GROUP BY s.client_id),
booked AS (
    SELECT t.client_id, count(*) AS upcoming,
           min((t.facts->>'scheduled_for')::timestamptz) AS next_session
    FROM {timeline} t JOIN mine USING (client_id)
    WHERE t.type = 'therapy.SessionScheduled'
      AND (t.facts->>'scheduled_for')::timestamptz > now()
      AND NOT EXISTS (SELECT 1 FROM {timeline} o WHERE o.client_id = t.client_id
                      AND o.type = ANY(%(closed)s)
                      AND o.facts->>'session_id' = t.facts->>'session_id')
    GROUP BY t.client_id)
SELECT m.client_id, m.since, e.display_name, e.program,
       coalesce(a.open_alerts, 0) AS open_alerts, a.top_severity,
       coalesce(x.consecutive, 0) AS consecutive_missed, coalesce(x.recent, 0) AS recent_missed,
       k.last_dose_day, c.last_check_in,
       coalesce(c.last_check_in, e.enrolled_at, m.since) + %(every)s AS check_in_due,
       coalesce(b.upcoming, 0) AS upcoming, b.next_session
FROM mine m
LEFT JOIN enrolled e USING (client_id) LEFT JOIN alerting a USING (client_id)
LEFT JOIN taken k USING (client_id) LEFT JOIN missing x USING (client_id)
LEFT JOIN checked c USING (client_id) LEFT JOIN booked b USING (client_id)"""
).format(
    care_team=sql.Identifier(careteam.NAME),
    timeline=sql.Identifier(timeline.NAME),
    alerts=sql.Identifier(alerts.NAME),
    dosing=sql.Identifier(dosing.NAME),
    checkins=sql.Identifier(checkins.NAME),
)


@strawberry.type(description="One client of your caseload; a null field is outside your access.")
class CaseloadClient:
    client_id: UUID
    display_name: str | None
    program: str | None
    on_team_since: datetime
    needs_attention: list[str] = strawberry.field(description="Why, most urgent first.")
    open_alerts: int | None
    highest_alert_severity: str | None = strawberry.field(description="high | moderate | low")
    consecutive_missed_days: int | None = strawberry.field(
        description="Missed dosing days since the last dose taken."
    )
    recent_missed_days: int | None = strawberry.field(
        description="Missed dosing days in the rules' adherence window."
    )
    last_dose_day: date | None
    last_check_in_at: datetime | None
    check_in_due_at: datetime | None
    check_in_overdue: bool | None
    upcoming_sessions: int | None
    next_session_at: datetime | None


@strawberry.type(description="Your clients, most in need of attention first.")
class Caseload:
    clients: list[CaseloadClient]
    rules_version: str = strawberry.field(description="The attention rules that ordered it.")
    check_in_every_days: int
    missed_window_days: int


def entry(row: dict[str, Any], grant: Grant) -> tuple[CaseloadClient, list[Kind]]:
    """The caseload row as the grant shows it, and the kinds of data it returns."""

    def shows(kind: Kind) -> bool:
        return grant.shows(kind, authored_by_reader=False)

    alerts_seen, doses_seen = shows(Kind.ALERT), shows(Kind.DOSING)
    check_ins_seen, sessions_seen = shows(Kind.CHECK_IN), shows(Kind.THERAPY)
    seen = Attention(
        open_alerts=row["open_alerts"] if alerts_seen else None,
        top_severity=row["top_severity"] if alerts_seen else None,
        consecutive_missed_days=row["consecutive_missed"] if doses_seen else None,
        check_in_overdue=row["check_in_due"] < datetime.now(UTC) if check_ins_seen else None,
        next_session_at=row["next_session"] if sessions_seen else None,
    )
    kinds = [Kind.CARE] + [
        kind
        for kind, given in (
            (Kind.ALERT, alerts_seen),
            (Kind.DOSING, doses_seen),
            (Kind.CHECK_IN, check_ins_seen),
            (Kind.THERAPY, sessions_seen),
        )
        if given
    ]
    client = CaseloadClient(
        client_id=row["client_id"],
        display_name=row["display_name"],
        program=row["program"],
        on_team_since=row["since"],
        needs_attention=reasons(seen),
        open_alerts=seen.open_alerts,
        highest_alert_severity=seen.top_severity,
        consecutive_missed_days=seen.consecutive_missed_days,
        recent_missed_days=row["recent_missed"] if doses_seen else None,
        last_dose_day=row["last_dose_day"] if doses_seen else None,
        last_check_in_at=row["last_check_in"] if check_ins_seen else None,
        check_in_due_at=row["check_in_due"] if check_ins_seen else None,
        check_in_overdue=seen.check_in_overdue,
        upcoming_sessions=row["upcoming"] if sessions_seen else None,
        next_session_at=seen.next_session_at,
    )
    return client, kinds


def sort_key(client: CaseloadClient) -> tuple[Any, ...]:
    seen = Attention(
        client.open_alerts,
        client.highest_alert_severity,
        client.consecutive_missed_days,
        client.check_in_overdue,
        client.next_session_at,
    )
    never = datetime.max.replace(tzinfo=UTC)
    return (*urgency(seen), client.next_session_at or never, client.display_name or "")


@strawberry.type
class CaseloadQuery:
    @strawberry.field(description="Your clients (care team now), most in need of attention first.")
    async def my_caseload(
        self,
        info: Info[RequestContext, None],
        at_least: AtLeast = None,
    ) -> Caseload:
        ctx = info.context
        ctx.gate.require(Listing.CASELOAD)
        reader = ctx.reader()
        for name in CASELOAD_MODELS:
            await ctx.caught_up(name, at_least)
        rules = CASELOAD_RULES
        rows = await ctx.rows(
            _CASELOAD,
            {
                "member": reader.id,
                "role": reader.role.value,
                "severities": list(rules.severity_order),
                "taken": TAKEN,
                "closed": SESSION_CLOSED,
                "missed_from": datetime.now(UTC).date() - rules.missed_window,
                "every": rules.check_in_every,
            },
        )
        granted = await ctx.gate.readable_each(
            (r["client_id"] for r in rows), operation="myCaseload"
        )
        shown = [entry(r, granted[r["client_id"]]) for r in rows if r["client_id"] in granted]
        await asyncio.gather(
            *(
                ctx.gate.record_read(
                    c.client_id, granted[c.client_id], operation="myCaseload", kinds=k, count=1
                )
                for c, k in shown
            )
        )
        return Caseload(
            clients=sorted((c for c, _ in shown), key=sort_key),
            rules_version=rules.version,
            check_in_every_days=rules.check_in_every.days,
            missed_window_days=rules.missed_window.days,
        )


_ON_MY_TEAM = sql.SQL(
    "SELECT DISTINCT client_id FROM {} WHERE client_id = ANY(%s) AND member_id = %s"
    " AND role = %s AND started_at <= now() AND (ended_at IS NULL OR ended_at > now())"
).format(sql.Identifier(careteam.NAME))


async def raised_between(ctx: RequestContext, seen: int, reached: int) -> list[dict[str, Any]]:
    return await ctx.rows(
        sql.SQL(
            "SELECT * FROM {} WHERE raised_position > %s AND raised_position <= %s"
            " AND status <> 'resolved' ORDER BY raised_position"
        ).format(sql.Identifier(alerts.NAME)),
        (seen, reached),
    )


async def on_my_team(ctx: RequestContext, clients: list[UUID]) -> list[UUID]:
    reader = ctx.reader()
    async with ctx.platform.pool.connection() as conn:
        cur = await conn.execute(_ON_MY_TEAM, (clients, reader.id, reader.role.value))
        return [row[0] for row in await cur.fetchall()]


@strawberry.type
class CaseloadSubscription:
    @strawberry.subscription(
        description="New alerts for the clients of your caseload, once each, in order raised."
    )
    async def alerts_for_my_caseload(
        self,
        info: Info[RequestContext, None],
        after: Annotated[
            int | None,
            strawberry.argument(description="Resume after this position (default: from now)."),
        ] = None,
    ) -> AsyncGenerator[Alert, None]:
        ctx = info.context
        ctx.gate.require(Listing.CASELOAD)
        progress = ctx.platform.progress
        seen = progress.position(alerts.NAME) if after is None else after
        while True:
            reached = await progress.passed(alerts.NAME, seen)
            rows = await raised_between(ctx, seen, reached)
            if rows:
                # Decide on team and access state at least as new as the alerts.
                await ctx.gate.access_models_reach(reached)
                mine = await on_my_team(ctx, list({r["client_id"] for r in rows}))
                granted = await ctx.gate.readable_each(mine, operation="alertsForMyCaseload")
                for row in rows:
                    grant = granted.get(row["client_id"])
                    if grant is not None and grant.shows(Kind.ALERT, authored_by_reader=False):
                        await ctx.gate.record_read(
                            row["client_id"],
                            grant,
                            operation="alertsForMyCaseload",
                            kinds=[Kind.ALERT],
                            count=1,
                        )
                        yield Alert.of(row)
            seen = reached
