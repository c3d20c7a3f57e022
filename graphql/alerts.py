"""Clinical alerts through the API: a client's alerts, the reader's own queue (alerts of the
clients whose care team they are on now), and acknowledging and resolving with a note."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events import Kind
from carecoord.graphql import log_pages, periods
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.declared import client_mutation, client_query, into
from carecoord.graphql.page_info import PageInfo
from carecoord.graphql.seqs import Seq
from carecoord.graphql.whole_ranges import at_most_rows
from carecoord.graphql.withheld import step_shown
from carecoord.projections import alerts, careteam
from carecoord.services.alerts import commands
from carecoord.services.alerts.record import Status
from carecoord.services.gate.gate import AccessGate
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.policy import Grant, Listing

strawberry.enum(Status, name="AlertStatus", description="Open until resolved.")

RAISED = ("raisedFrom", "raisedTo")
"""The ends of a period of alerts, read whole: a client's years of reported use, or a queue
left to grow, hold more alerts than one read answers, which are refused rather than cut short
(a clinician cannot tell a list missing its oldest from a whole one)."""
IN_PERIOD = (
    "raised in the period (raisedFrom, before raisedTo), whole: at most"
    f" {log_pages.MAX_ROWS}, refused past that."
)

RaisedAt = Annotated[
    datetime | None,
    strawberry.argument(description="A time an alert was raised at, with its UTC offset."),
]


async def read_whole(read: Callable[[int], Awaitable[list[alerts.Alert]]]) -> list[alerts.Alert]:
    """The alerts ``read(limit)`` finds, refused past ``MAX_ROWS`` (``raisedTo``)."""
    return at_most_rows(await read(log_pages.MAX_ROWS + 1), RAISED)


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
    evidence_in_error: list[UUID] = strawberry.field(
        description="Those of `evidence` since marked entered in error"
        " (`markCheckInEnteredInError`), or no-shows since corrected to another outcome"
        " (`correctSessionOutcome`). The alert stays as it stands until resolved with a note:"
        " whether its follow-up is still needed is the care team's call."
    )
    status: Status
    raised_at: datetime
    position: Seq = strawberry.field(description="Where it was raised in the event log.")
    history: JSON = strawberry.field(
        description="Acknowledgements and resolutions, in order. A note whose writer reads more"
        " of the record than you do (a nurse's, read by a peer supporter) is null, and its"
        ' step\'s `withheld` names it (`["note"]`; `[]` where the note is shown).'
    )

    @strawberry.field(
        description="The program's day `raisedAt` falls on, in the program's time zone"
        " (CARECOORD_PROGRAM_TIME_ZONE; the dosing day's): the day the rules counted it on."
    )
    def raised_on(self, info: Info[RequestContext, None]) -> date:
        return info.context.platform.alert_rules.day_of(self.raised_at)

    @classmethod
    def of(cls, row: alerts.Alert) -> Alert:
        return into(
            cls,
            row,
            evidence=[UUID(e) for e in row["evidence"]],
            evidence_in_error=[
                UUID(h["evidence_in_error"]) for h in row["history"] if "evidence_in_error" in h
            ],
            status=Status(row["status"]),
            raised_at=row["raised_at"],
            position=row["raised_position"],
            history=cast("JSON", row["history"]),
        )


QUEUE_ORDER = log_pages.LogOrder(
    "myAlerts", ("raised_at", "raised_position"), (log_pages.instant, log_pages.bigint)
)
"""A cursor holds the last alert's place in the queue (when it was raised, and its position
in the log: no two alerts share it, and neither changes), no clinical content."""


@strawberry.type(description="Alerts of your clients, oldest first, whole or a page at a time.")
class AlertQueue:
    alerts: list[Alert]
    page_info: PageInfo


@strawberry.input(description="Acknowledge (seen, acting) or resolve an alert, with a note.")
class AlertNoteInput:
    client_id: UUID
    alert_id: UUID
    note: str
    occurred_at: datetime | None = None


def rules_shown(ctx: RequestContext, grant: Grant) -> frozenset[str] | None:
    """The ids of the rules whose alerts ``grant`` shows (None: every rule's): alerts at
    all, and what each rule's alerts tell of (``REVEALS`` in ``services/alerts/rules.py``)."""
    if not grant.shows(Kind.ALERT, authored_by_reader=False):
        return frozenset()
    return ctx.platform.alert_rules.shown_to(grant.kinds)


def shown_alerts(ctx: RequestContext, grant: Grant) -> Callable[[str], bool]:
    """Whether ``grant`` shows the alerts of a rule (by its id) (``rules_shown``)."""
    rules = rules_shown(ctx, grant)
    return lambda rule_id: rules is None or rule_id in rules


def notes_shown(row: alerts.Alert, grant: Grant, reader_id: str) -> alerts.Alert:
    """``row`` as ``grant`` shows it to ``reader_id``: a note its writer's role tells more
    in than the grant shows is withheld (``graphql/withheld.py``)."""
    shown = row.copy()
    shown["history"] = [step_shown(step, grant, reader_id) for step in row["history"]]
    return shown


async def alerts_shown(
    ctx: RequestContext,
    client_id: UUID,
    grant: Grant,
    status: list[Status] | None = None,
    raised_from: RaisedAt = None,
    raised_to: RaisedAt = None,
) -> list[alerts.Alert]:
    """A client's alerts of a period, for a reader whose grant shows alerts (``needs``):
    those whose rule tells no more than the grant shows."""
    periods.in_order(RAISED, raised_from, raised_to)
    raised = (raised_from, raised_to)
    rows = await read_whole(
        lambda limit: alerts.of_client(ctx.platform.reads, client_id, status or (), raised, limit)
    )
    shown = shown_alerts(ctx, grant)
    reader = ctx.reader().id
    return [notes_shown(r, grant, reader) for r in rows if shown(r["rule_id"])]


@strawberry.type
class AlertQuery:
    client_alerts = client_query(
        f"A client's alerts, oldest first, {IN_PERIOD}",
        alerts.NAME,
        alerts_shown,
        Alert.of,
        needs=Kind.ALERT,
        kinds=lambda rows: [Kind.ALERT] * len(rows),
    )

    @strawberry.field(
        description="Alerts of the clients whose care team you are on now (open ones by"
        f" default), oldest first, {IN_PERIOD} Or a page at a time: `first` alerts, the next"
        " after pageInfo.endCursor. A page, whether more follow and its endCursor are made of"
        " the alerts you are shown alone."
    )
    async def my_alerts(
        self,
        info: Info[RequestContext, None],
        status: list[Status] | None = None,
        raised_from: RaisedAt = None,
        raised_to: RaisedAt = None,
        first: log_pages.First = None,
        after: log_pages.After = None,
        at_least: AtLeast = None,
    ) -> AlertQueue:
        ctx = info.context
        gate = ctx.gate
        gate.require(Listing.CASELOAD)  # no other role is on a care team
        periods.in_order(RAISED, raised_from, raised_to)
        reader = gate.reader()
        for view in alerts.ROUTED_BY:
            await ctx.caught_up(view, at_least)

        queue = Shown(ctx, gate)
        shown = await queue.decided()

        async def read(key: log_pages.Key | None, limit: int) -> list[alerts.Alert]:
            return await alerts.routed_to(
                ctx.platform.reads,
                reader.id,
                reader.role,
                status or (Status.OPEN, Status.ACKNOWLEDGED),
                (raised_from, raised_to),
                limit,
                after=None if key is None else (key[0], key[1]),
                shown=shown,
            )

        if first is None:  # the period whole, as before paging
            key = None if after is None else QUEUE_ORDER.key(after)
            rows = await read_whole(lambda limit: read(key, limit))
            end = QUEUE_ORDER.cursor(rows[-1]) if rows else None
            page_info = PageInfo(has_next_page=False, end_cursor=end)
        else:
            rows, page_info = await log_pages.paged(QUEUE_ORDER, first, after, read)
        rows = queue.notes_shown(rows)
        await queue.logged(rows)
        return AlertQueue(alerts=[Alert.of(r) for r in rows], page_info=page_info)


class Shown:
    """What the queue shows its reader: the alerts each client's grant shows, decided for
    every client of the reader's care team before the queue is read, so that the query
    reads those alone (a page, whether more follow and its cursor made of alerts the reader
    is not shown told of them: their number, when each was raised and its place in the
    log); and the read of each client logged once, for the alerts a page shows."""

    def __init__(self, ctx: RequestContext, gate: AccessGate):
        self.ctx, self.gate = ctx, gate
        self.granted: dict[UUID, Grant] = {}

    async def decided(self) -> alerts.RulesShown:
        """The clients whose care team the reader is on now, grouped by the rules whose
        alerts their grants show (``routed_to``); those shown none are in no group."""
        reader = self.gate.reader()
        team = await careteam.clients_of_member(
            self.ctx.platform.reads, reader.id, reader.role.value
        )
        self.granted = await self.gate.readable_on_team(team, operation="myAlerts")
        groups: dict[frozenset[str] | None, list[UUID]] = {}
        for client_id, grant in self.granted.items():
            rules = rules_shown(self.ctx, grant)
            if rules != frozenset():
                groups.setdefault(rules, []).append(client_id)
        return [(clients, rules) for rules, clients in groups.items()]

    def notes_shown(self, rows: list[alerts.Alert]) -> list[alerts.Alert]:
        """``rows`` with the notes each client's grant shows."""
        reader = self.gate.reader().id
        return [notes_shown(row, self.granted[row["client_id"]], reader) for row in rows]

    async def logged(self, shown: list[alerts.Alert]) -> None:
        """Log a read of each client ``shown`` (the alerts answered) holds alerts of: a
        client whose alerts the grant all leaves out (a peer supporter and a fentanyl
        screen's) was shown nothing, and is not logged as read."""
        count = Counter(r["client_id"] for r in shown)
        await asyncio.gather(
            *(
                self.gate.record_read(
                    client_id,
                    self.granted[client_id],
                    operation="myAlerts",
                    kinds=[Kind.ALERT] * n,
                    count=n,
                )
                for client_id, n in count.items()
            )
        )


@strawberry.type
class AlertMutation:
    acknowledge_alert = client_mutation(
        "Acknowledge an open alert: seen, acting on it.",
        Action.ACKNOWLEDGE_ALERT,
        commands.acknowledge_alert,
        AlertNoteInput,
    )
    resolve_alert = client_mutation(
        "Resolve an alert, saying what was done.",
        Action.RESOLVE_ALERT,
        commands.resolve_alert,
        AlertNoteInput,
    )
