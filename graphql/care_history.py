"""A client's levels of care over time, read from the timeline view: each change opens a stint
that the next change closes. (Who was on the care team, and when, is ``careTeam``.)"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Kind
from carecoord.events.care import LevelOfCare
from carecoord.graphql import therapy  # noqa: F401  (registers the GraphQL `LevelOfCare` enum)
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import timeline
from carecoord.projections.rows import Shown


@strawberry.type(description="A stint at one level of care (FHIR EpisodeOfCare).")
class LevelOfCareStint:
    level: LevelOfCare
    asam_level: str = strawberry.field(description="ASAM level as recorded, e.g. `2.1`.")
    reason: str
    since: datetime
    until: datetime | None = strawberry.field(description="Null while it is the current level.")
    recorded_by: str
    position: int

    @classmethod
    def of(cls, row: timeline.Stint) -> LevelOfCareStint:
        facts = row["facts"]
        return cls(
            level=LevelOfCare(facts["level"]),
            asam_level=facts.get("asam_level", ""),
            reason=facts.get("reason", ""),
            since=row["occurred_at"],
            until=row["until"],
            recorded_by=row["actor_id"],
            position=row["position"],
        )


@strawberry.type
class CareHistoryQuery:
    @strawberry.field(description="A client's levels of care, oldest first; the last is current.")
    async def level_of_care_history(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        at_least: AtLeast = None,
    ) -> list[LevelOfCareStint]:
        ctx = info.context
        grant = await ctx.gate.readable(
            client_id, operation="levelOfCareHistory", at_least=at_least
        )
        await ctx.caught_up(timeline.NAME, at_least)
        rows = await timeline.level_of_care_stints(
            ctx.platform.reads, client_id, Shown.of(grant, ctx.reader().id)
        )
        await ctx.gate.record_read(
            client_id,
            grant,
            operation="levelOfCareHistory",
            kinds=[Kind.CARE] * len(rows),
            count=len(rows),
        )
        return [LevelOfCareStint.of(r) for r in rows]
