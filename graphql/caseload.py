"""The asking clinician's caseload: their clients (care team now) with what needs attention
first, and a live feed of new alerts for those clients.

The caseload is one set-based statement over the read models, whatever its size
(``projections/caseload.py``), ranked by what the reader's role is shown on each client's
team and answered a page at a time: a program-wide team of thousands came back whole, its
access decided and logged client by client, in one multi-megabyte answer. Only a page's
clients are decided (``ctx.gate.readable_on_team``), shown as far as the reader's grant on
each allows, and logged once each.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Kind, Role
from carecoord.events.access import Basis
from carecoord.events.care import DischargeReason
from carecoord.graphql import (
    care,  # noqa: F401  (registers the GraphQL `DischargeReason` enum)
    log_pages,
)
from carecoord.graphql.alerts import Alert, notes_shown, shown_alerts
from carecoord.graphql.context import After, RequestContext
from carecoord.graphql.declared import listing_query
from carecoord.graphql.log_pages import LogOrder, paged
from carecoord.graphql.page_info import PageInfo
from carecoord.projections import alerts, caseload
from carecoord.services.kernel.caseload import (
    CASELOAD_RULES,
    Attention,
    check_in_overdue,
    reasons,
    urgency,
)
from carecoord.services.kernel.policy import (
    ON_CARE_TEAM,
    Grant,
    Listing,
    program_policy,
    team_visibility,
)

ALERTS_PAGE = 200
"""Alerts read at a time by a caseload feed catching up (from ``after: 0``, every open one)."""

MAX_CLIENTS = 500
"""The most clients one page of a caseload answers."""

First = Annotated[
    int,
    strawberry.argument(
        description=f"A page of at most this many clients (1 to {MAX_CLIENTS}), the next"
        " after pageInfo.endCursor."
    ),
]


def _place(text: str) -> int:
    """A client's place in the order a cursor was made in: never below the first."""
    value = int(text)
    if not 0 <= value < 2**31:
        raise ValueError(text)
    return value


def _following(text: str) -> UUID | None:
    """The client after a cursor's in the order it was made in; none at its end."""
    return UUID(text) if text else None


ORDER = LogOrder("myCaseload", ("place", "client_id", "following"), (_place, UUID, _following))
"""A cursor holds the last client of its page, the place they held and the client after them
then (the first no page had shown), no clinical content: the next page goes on where that
client is now, so a client moving in the order passes over none who stayed, whether the
cursor's client moved down (an alert resolved) or another moved up ahead of them (an alert
raised), which showed the page's clients again. The one who moved may be shown twice (moved
down past the cursor) or not in this pass (moved up ahead of those shown; the first page
shows them)."""


def resumed_at(key: tuple[Any, ...], places: dict[UUID, int]) -> int:
    """Where the page after the cursor ``key`` starts in the order now (``places``)."""
    place: int = key[0]
    last, following = key[1:]
    now = places.get(last)
    after = None if following is None else places.get(following)
    if after is None:  # the next client left, or none followed: the cursor's place
        # At or before the place they held, those after them are where they were; moved
        # down the order or gone, those after them moved up one, to the place they held.
        return place + 1 if now is not None and now <= place else place
    if now is None or after > now:
        # Still after the cursor's client: from the first after them, the next client or
        # one that moved in between; the cursor's client gone, from the next.
        return after if now is None else min(after, now + 1)
    # Ahead of the cursor's client now: the two swapped (the next one shown, the cursor's
    # again), or the next client moved up past clients shown (passed over, as any is that
    # moves ahead of those shown).
    return after if after >= place else now + 1


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
    last_dose_day: date | None = strawberry.field(
        description="The last dosing day, up to today, of a dose taken (at the window or from"
        " a take-home bottle): bottles for days to come are not taken yet."
    )
    last_check_in_at: datetime | None
    check_in_due_at: datetime | None
    check_in_overdue: bool | None
    upcoming_sessions: int | None
    next_session_at: datetime | None
    discharged_at: datetime | None = strawberry.field(
        default=None,
        description="When the client was discharged, while they are (treatmentEpisodes);"
        " null while they are in treatment.",
    )
    discharge_reason: DischargeReason | None = strawberry.field(
        default=None, description="Why, while they are discharged."
    )


@strawberry.type(description="Your clients, most in need of attention first, a page at a time.")
class Caseload:
    clients: list[CaseloadClient]
    page_info: PageInfo
    rules_version: str = strawberry.field(description="The attention rules that ordered it.")
    check_in_every_days: int
    missed_window_days: int


def entry(row: caseload.Line, grant: Grant) -> tuple[CaseloadClient, list[Kind]]:
    """The caseload row as the grant shows it, and the kinds of data it returns."""

    def shows(kind: Kind) -> bool:
        return grant.shows(kind, authored_by_reader=False)

    alerts_seen, doses_seen = shows(Kind.ALERT), shows(Kind.DOSING)
    discharged = row["discharged_at"] is not None
    check_ins_seen, sessions_seen = shows(Kind.CHECK_IN), shows(Kind.THERAPY)
    seen = Attention(
        open_alerts=row["open_alerts"] if alerts_seen else None,
        top_severity=row["top_severity"] if alerts_seen else None,
        consecutive_missed_days=row["consecutive_missed"] if doses_seen else None,
        check_in_overdue=(
            check_in_overdue(row["check_in_due"], discharged, datetime.now(UTC))
            if check_ins_seen
            else None
        ),
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
    reason = row["discharge_reason"]
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
        discharged_at=row["discharged_at"],
        discharge_reason=None if reason is None else DischargeReason(reason),
    )
    return client, kinds


def sort_key(client: CaseloadClient) -> tuple[Any, ...]:
    """Most urgent first; clients alike in all that and in name by id, so they keep their
    places from one read to the next (the statement returns them in no order)."""
    seen = Attention(
        client.open_alerts,
        client.highest_alert_severity,
        client.consecutive_missed_days,
        client.check_in_overdue,
        client.next_session_at,
    )
    never = datetime.max.replace(tzinfo=UTC)
    return (
        *urgency(seen),
        client.next_session_at or never,
        client.display_name or "",
        client.client_id,
    )


def on_team(row: caseload.Line, role: Role) -> Grant:
    """What ``role`` is shown on the team of the client of ``row``, before the gate decides:
    the order ranks only what the reader is shown (a consent widens a team grant by notes
    alone, which no caseload field holds)."""
    seen = team_visibility(role, program_policy(row["program"]))
    return Grant(Basis.CARE_TEAM, frozenset() if seen is None else seen.kinds)


async def members_caseload(
    ctx: RequestContext, first: First = 100, after: log_pages.After = None
) -> Caseload:
    reader = ctx.reader()
    rules = CASELOAD_RULES
    today = ctx.platform.medication.day_of(datetime.now(UTC))
    rows = await caseload.of_member(
        ctx.platform.reads,
        reader.id,
        reader.role,
        severity_order=list(rules.severity_order),
        today=today,
        zone=str(ctx.platform.medication.zone),
        missed_from=today - rules.missed_window,
        check_in_every=rules.check_in_every,
        # What the role shows on any team (a consent widens a peer supporter's to no orders).
        alert_rules=ctx.platform.alert_rules.shown_to(ON_CARE_TEAM[reader.role].kinds),
    )
    ranked = sorted(rows, key=lambda r: sort_key(entry(r, on_team(r, reader.role))[0]))
    places = {r["client_id"]: place for place, r in enumerate(ranked)}

    async def read(key: tuple[Any, ...] | None, limit: int) -> list[dict[str, Any]]:
        start = 0 if key is None else resumed_at(key, places)
        ids: list[UUID | str] = [r["client_id"] for r in ranked]
        ids.append("")  # none follows the last
        return [
            {"place": place, "client_id": ids[place], "following": ids[place + 1], "row": r}
            for place, r in enumerate(ranked[start : start + limit], start)
        ]

    page, page_info = await paged(ORDER, first, after, read, most=MAX_CLIENTS, unit="clients")
    granted = await ctx.gate.readable_on_team(
        (p["client_id"] for p in page), operation="myCaseload"
    )
    shown = [entry(p["row"], granted[p["client_id"]]) for p in page if p["client_id"] in granted]
    await asyncio.gather(
        *(
            ctx.gate.record_read(
                c.client_id, granted[c.client_id], operation="myCaseload", kinds=k, count=1
            )
            for c, k in shown
        )
    )
    return Caseload(
        clients=[c for c, _ in shown],
        page_info=page_info,
        rules_version=rules.version,
        check_in_every_days=rules.check_in_every.days,
        missed_window_days=rules.missed_window.days,
    )


@strawberry.type
class CaseloadQuery:
    my_caseload = listing_query(
        "Your clients (care team now), most in need of attention first, a page at a time:"
        " `first` clients, the next after pageInfo.endCursor.",
        Listing.CASELOAD,
        members_caseload,
        *caseload.MODELS,
    )


@strawberry.type
class CaseloadSubscription:
    @strawberry.subscription(
        description="New alerts for the clients of your caseload, once each, in order raised,"
        " each as it stands when pushed: resumed `after` the last `position` pushed, every"
        " alert raised since, those resolved meanwhile too (status RESOLVED)."
    )
    async def alerts_for_my_caseload(
        self,
        info: Info[RequestContext, None],
        after: After = None,
    ) -> AsyncGenerator[Alert, None]:
        ctx = info.context
        ctx.gate.require(Listing.CASELOAD)
        progress = ctx.platform.progress
        seen = await ctx.resumed_after(alerts.NAME, after)
        reached = seen
        while True:
            if seen >= reached:
                reached = await progress.passed(alerts.NAME, seen)
            rows = await ctx.platform.raised_alerts.between(
                ctx.platform.primary_reads, seen, reached, ALERTS_PAGE
            )
            if rows:
                # Decide on team and access state at least as new as the alerts.
                await ctx.gate.access_models_reach(reached)
                clients = [r["client_id"] for r in rows]
                granted = await ctx.gate.readable_on_team(clients, operation="alertsForMyCaseload")
                fresh = set(clients)  # decided since the last push
                for row in rows:
                    client_id = row["client_id"]
                    if client_id not in fresh:
                        # The reader took the last push when they liked (a stalled socket:
                        # hours later): decided again on the access recorded by now.
                        granted.pop(client_id, None)
                        granted.update(
                            await ctx.gate.readable_on_team(
                                [client_id], operation="alertsForMyCaseload"
                            )
                        )
                        fresh.add(client_id)
                    grant = granted.get(client_id)
                    if grant is not None and shown_alerts(ctx, grant)(row["rule_id"]):
                        await ctx.still_admitted(reached)
                        await ctx.gate.record_read(
                            client_id,
                            grant,
                            operation="alertsForMyCaseload",
                            kinds=[Kind.ALERT],
                            count=1,
                        )
                        yield Alert.of(notes_shown(row, grant, ctx.reader().id))
                        fresh.clear()
            seen = rows[-1]["raised_position"] if len(rows) == ALERTS_PAGE else reached
