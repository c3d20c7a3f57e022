"""The client timeline: a Relay connection over the timeline read model, and its live feed."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypedDict, cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events import Kind as EventKind
from carecoord.events import Role
from carecoord.events.care import GoalProgressRecorded
from carecoord.events.catalog import event_class
from carecoord.events.envelope import type_name
from carecoord.graphql import periods
from carecoord.graphql.alerts import shown_alerts
from carecoord.graphql.context import After, AtLeast, RequestContext
from carecoord.graphql.isoformat import isoformat
from carecoord.graphql.page_info import PageInfo
from carecoord.graphql.plain_fields import Unchanging
from carecoord.graphql.seqs import Seq
from carecoord.graphql.withheld import TextShown, without
from carecoord.projections import goals, timeline
from carecoord.projections.rows import Shown
from carecoord.services.kernel.errors import Forbidden, InvalidInput
from carecoord.services.kernel.policy import Grant, disclosures_shown

MAX_PAGE = 500

strawberry.enum(EventKind, name="Kind", description="The kind of data an entry carries.")


@strawberry.type
class RecordedBy:
    id: str
    role: str


@strawberry.type(description="One recorded fact about a client.")
class TimelineEntry(Unchanging):
    position: Seq = strawberry.field(description="Global position in the event log.")
    event_id: UUID
    type: str
    kind: str
    summary: str
    occurred_at: datetime = strawberry.field(description="When it happened (clinical time).")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    recorded_by: RecordedBy
    withheld: list[str] = strawberry.field(
        description="Free-text fields of `facts` withheld from you (null there, and left out"
        " of `summary` where it ends with one, as a reason for a hold): their writer reads more"
        " of the record than you do, as a nurse's note on an alert a peer supporter is shown"
        " (docs/access.md). Empty where everything is shown."
    )
    facts_json: strawberry.Private[str]

    @strawberry.field(
        description="The event's own fields, as recorded; not its envelope (who recorded it,"
        " when, and the ids are this entry's other fields)."
    )
    def facts(self) -> JSON:
        # Decoded only when asked for: most timeline reads show the summary line. Rows
        # projected before the envelope was left out still carry it until a rebuild.
        found: dict[str, Any] = json.loads(self.facts_json)
        own = {k: v for k, v in found.items() if k not in timeline.ENVELOPE}
        return cast("JSON", without(own, self.withheld))

    @classmethod
    def of(
        cls, row: timeline.Entry, text: TextShown, restated: Mapping[UUID, goals.Goal]
    ) -> TimelineEntry:
        """``row`` with the free text ``text`` does not show its reader withheld (its
        writer's role tells more than the reader's grant shows: ``graphql/withheld.py``),
        in its facts and in its summary line, and a progress step's restating of its
        goal's words (in ``restated``) as the goal's own are."""
        gone = _withheld(row, text, restated)
        summary = row["summary"]
        recorded = event_class(row["type"])
        # Facts decoded only for a line that may end with text withheld ("... (why)").
        if recorded.summary_text in gone and summary.endswith(")"):
            summary = recorded.summary_withheld(summary, json.loads(row["facts"]))
        return cls(
            position=Seq(row["position"]),
            event_id=row["event_id"],
            type=row["type"],
            kind=row["kind"],
            summary=summary,
            occurred_at=row["occurred_at"],
            recorded_at=row["recorded_at"],
            recorded_by=RecordedBy(id=row["actor_id"], role=row["actor_role"]),
            withheld=gone,
            facts_json=row["facts"],
        )


PROGRESS = type_name(GoalProgressRecorded)
DISCLOSING_TYPES = frozenset(type_name(c) for c in timeline.DISCLOSING)


def _withheld(
    row: timeline.Entry, text: TextShown, restated: Mapping[UUID, goals.Goal]
) -> list[str]:
    """``row``'s free text withheld by its writer's role; a progress step's restating of its
    goal's words, by the goal's writer's."""
    gone = text.withheld(event_class(row["type"]).free_text, row["actor_role"], row["actor_id"])
    if row["type"] != PROGRESS or gone:
        return gone
    # A goal not found (its view behind or being rebuilt) keeps its words back.
    goal = restated.get(UUID(json.loads(row["facts"])["goal_id"]))
    setter = (goal["actor_role"], goal["actor_id"]) if goal else (Role.PRESCRIBER.value, "")
    return text.withheld(["description"], *setter)


async def goals_restated(
    ctx: RequestContext, client_id: UUID, rows: Sequence[timeline.Entry]
) -> dict[UUID, goals.Goal]:
    """The goals whose words the progress steps among ``rows`` restate, by id; none from a
    goals view another version built (their words are kept back then, ``_withheld``)."""
    ids = {UUID(json.loads(r["facts"])["goal_id"]) for r in rows if r["type"] == PROGRESS}
    if not ids or ctx.platform.progress.outdated(goals.NAME):
        return {}
    return await goals.by_id(ctx.platform.reads, client_id, ids)


@strawberry.type
class TimelineEdge(Unchanging):
    cursor: str
    node: TimelineEntry


@strawberry.type
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    projected_position: Seq = strawberry.field(
        description="The read model's position when this page was read."
    )

    @strawberry.field(description="The entries of `edges`, without cursors.")
    def nodes(self) -> list[TimelineEntry]:
        return [edge.node for edge in self.edges]


class Keyset(TypedDict):
    """Where an entry stands in clinical order: what a cursor holds."""

    occurred_at: datetime
    position: int


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def cursor_of(row: Keyset, client: str = "") -> str:
    """The cursor after ``row``; with ``client`` (the client's id) it pages only that
    client's timeline."""
    raw = f"{isoformat(row['occurred_at'])}|{row['position']}"
    if client:
        raw = f"{raw}|{client}"
    # ``base64.urlsafe_b64encode``'s own steps, without its two calls: a page makes 51.
    return binascii.b2a_base64(raw.encode(), newline=False).translate(_URL_SAFE).decode()


LAST_POSITION = 2**63 - 1
"""The highest position the store's bigint holds."""


def parse_cursor(cursor: str, client_id: UUID) -> tuple[datetime, int]:
    """The keyset a cursor holds. One made on another client's timeline is refused: it
    would page this one from an entry it does not have, silently leaving out all before.
    So is one no page made (a time without its offset, which the database would read in
    its own zone, or a position no entry has), as a tampered cursor of every other read
    is."""
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
        occurred, position, *made_for = decoded.split("|")
        keyset = datetime.fromisoformat(occurred), int(position)
        (client,) = made_for or [str(client_id)]
        another = UUID(client) != client_id
        made = keyset[0].tzinfo is not None and 0 < keyset[1] <= LAST_POSITION
    except ValueError:
        made = False
    if not made:
        raise InvalidInput("after", "cursor", "not a cursor returned by this API")
    if another:
        raise InvalidInput("after", "cursor-client", "this cursor pages another client's timeline")
    return keyset


async def may_read(
    ctx: RequestContext, client_id: UUID, operation: str, at_least: int | None = None
) -> Grant:
    """The reader's grant on this client (services/kernel/policy.py); a refusal is logged and
    raised."""
    return await ctx.gate.readable(client_id, operation=operation, at_least=at_least)


def shown(grant: Grant, ctx: RequestContext, row: timeline.Entry) -> bool:
    """Whether ``grant`` shows ``row``: its kind, a disclosure's the kinds it sent, and an
    alert's what its rule tells of."""
    authored = row["actor_id"] == ctx.reader().id
    if not grant.shows(EventKind(row["kind"]), authored_by_reader=authored):
        return False
    if row["type"] in DISCLOSING_TYPES:
        sent = json.loads(row["facts"])["data_kinds"]
        return timeline.disclosure_shown(sent, disclosures_shown(ctx.reader().role, grant))
    if row["kind"] != EventKind.ALERT:
        return True
    rule_id = json.loads(row["facts"]).get("rule_id")  # none: shown only to who sees all
    return shown_alerts(ctx, grant)(str(rule_id))


def seconds_left(grant: Grant) -> float | None:
    """How long a grant with an end (consent expiry, break-glass window) still holds.

    A grant that widens at a time (a blind taper lifts when its last day is over) is not
    waited for: the feed hands over only entries that arrive, each decided on the grant of
    the program's day it arrives in (``readable_after``), and the lift is no entry. Entries
    withheld before it are not handed over later (the feed is new entries, once, in
    order); ``clientTimeline`` shows them once the taper is over.
    """
    if grant.valid_until is None:
        return None
    return max(0.0, (grant.valid_until - datetime.now(UTC)).total_seconds())


@strawberry.type
class TimelineQuery:
    @strawberry.field(description="A client's recorded facts in clinical order.")
    async def client_timeline(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        first: int = 50,
        after: str | None = None,
        kinds: list[EventKind] | None = None,
        occurred_from: datetime | None = None,
        occurred_to: datetime | None = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(description="Only what had been recorded by this time."),
        ] = None,
        at_least: AtLeast = None,
    ) -> TimelineConnection:
        ctx = info.context
        grant = await may_read(ctx, client_id, "clientTimeline", at_least)
        if not 1 <= first <= MAX_PAGE:
            raise InvalidInput("first", "page-size", f"first must be between 1 and {MAX_PAGE}")
        periods.in_order(("occurredFrom", "occurredTo"), occurred_from, occurred_to)
        if kinds and not any(grant.shows(k, authored_by_reader=True) for k in kinds):
            # Refused as a query about one of those kinds is, not answered "none recorded".
            named = ", ".join(sorted({k.value for k in kinds}))
            refusal = Forbidden("kinds", "kind-may-read", f"your access does not include {named}")
            raise await ctx.gate.refused_read(client_id, "clientTimeline", refusal)
        await ctx.caught_up(timeline.NAME, at_least)
        projected = await ctx.platform.progress.readable_position(timeline.NAME)
        rows = await ctx.platform.timeline_pages.page(
            ctx.platform.reads,
            ctx.platform.progress,
            projected,
            client_id,
            Shown.of(grant, ctx.reader().id),
            limit=first + 1,
            kinds=kinds or (),
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            recorded_until=as_of,
            after=None if after is None else parse_cursor(after, client_id),
            alert_rules=ctx.platform.alert_rules.shown_to(grant.kinds),
            disclosed=disclosures_shown(ctx.reader().role, grant),
        )
        page = rows[:first]
        client = str(client_id)
        text = TextShown.of(grant, ctx.reader().id)
        restated = await goals_restated(ctx, client_id, page)
        await ctx.gate.record_read(
            client_id,
            grant,
            operation="clientTimeline",
            kinds=(r["kind"] for r in page),
            count=len(page),
        )
        kept = ctx.platform.timeline_pages

        def edge(row: timeline.Entry) -> TimelineEdge:
            node = TimelineEntry.of(row, text, restated)
            return TimelineEdge(cursor=cursor_of(row, client), node=node)

        return TimelineConnection(
            # A goal's words a progress step restates are the goals view's, read anew.
            edges=[edge(r) if r["type"] == PROGRESS else kept.shown(r, text, edge) for r in page],
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=cursor_of(page[-1], client) if page else None,
            ),
            projected_position=Seq(projected),
        )


@strawberry.type
class TimelineSubscription:
    @strawberry.subscription(description="New timeline entries for a client, once each, in order.")
    async def timeline(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        after: After = None,
    ) -> AsyncGenerator[TimelineEntry, None]:
        ctx = info.context
        start = await ctx.resumed_after(timeline.NAME, after)
        grant = await may_read(ctx, client_id, "timeline")
        feed = ctx.platform.timelines
        watch = feed.watch(client_id, start, ctx.reader().id, socket=id(ctx.request))
        loop = asyncio.get_running_loop()
        pushed = float("-inf")  # when the reader took the last push
        try:
            while True:
                try:
                    gained = await watch.next(seconds_left(grant))
                except TimeoutError:
                    grant = await may_read(ctx, client_id, "timeline")
                    continue
                if not gained.entries:
                    continue
                if gained.read_at < pushed:
                    # Read while the reader was still taking the last push (a slow socket):
                    # the access changes read with it may lack one recorded since.
                    grant = await may_read(ctx, client_id, "timeline")
                else:
                    # Decide on access state at least as new as the rows: a revocation or
                    # the end of a membership is itself a row here, so it ends the feed.
                    changed = max(gained.through, gained.access_changed)
                    grant = await ctx.gate.readable_after(
                        client_id, operation="timeline", changed=changed
                    )
                restated = await goals_restated(ctx, client_id, gained.entries)
                text = TextShown.of(grant, ctx.reader().id)
                taken = False
                for row in gained.entries:
                    if taken:
                        # The reader took the last push when they liked (a stalled socket:
                        # hours later): decided again on the access recorded by now.
                        grant = await may_read(ctx, client_id, "timeline")
                        text = TextShown.of(grant, ctx.reader().id)
                        taken = False
                    if shown(grant, ctx, row):
                        await ctx.still_admitted(gained.through)
                        await ctx.gate.record_read(
                            client_id, grant, operation="timeline", kinds=[row["kind"]], count=1
                        )
                        yield TimelineEntry.of(row, text, restated)
                        taken = True
                        pushed = loop.time()
        finally:
            feed.close(watch)
