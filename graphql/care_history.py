"""A client's levels of care over time, read from the timeline view: each change opens a stint
that the next change closes. (Who was on the care team, and when, is ``careTeam``.)"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from carecoord.events import Kind
from carecoord.events.care import LevelOfCare, LevelOfCareChanged
from carecoord.graphql import therapy  # noqa: F401  (registers the GraphQL `LevelOfCare` enum)
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import client_query
from carecoord.graphql.withheld import withheld, without
from carecoord.projections import timeline
from carecoord.services.kernel.policy import Grant


@strawberry.type(description="A stint at one level of care (FHIR EpisodeOfCare).")
class LevelOfCareStint:
    level: LevelOfCare
    asam_level: str = strawberry.field(description="ASAM level as recorded, e.g. `2.1`.")
    reason: str | None = strawberry.field(
        description="Null where withheld: its writer reads more of the record than you do."
    )
    withheld: list[str] = strawberry.field(
        description="`reason` where it is withheld from you (docs/access.md), else empty."
    )
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
            withheld=[f for f in LevelOfCareChanged.free_text if facts.get(f, "") is None],
            since=row["occurred_at"],
            until=row["until"],
            recorded_by=row["actor_id"],
            position=row["position"],
        )


async def stints_shown(ctx: RequestContext, client_id: UUID, grant: Grant) -> list[timeline.Stint]:
    """A client's stints as ``grant`` shows them: a reason its writer's role tells more in
    than the grant shows is null (``graphql/withheld.py``)."""
    rows = await timeline.level_of_care_stints(ctx.platform.reads, client_id, ctx.shown(grant))
    reader = ctx.reader().id
    for row in rows:
        free_text = LevelOfCareChanged.free_text
        gone = withheld(free_text, grant, row["actor_role"], row["actor_id"], reader)
        row["facts"] = without(row["facts"], gone)
    return rows


@strawberry.type
class CareHistoryQuery:
    level_of_care_history = client_query(
        "A client's levels of care, oldest first; the last is current.",
        timeline.NAME,
        stints_shown,
        LevelOfCareStint.of,
        kinds=lambda rows: [Kind.CARE] * len(rows),
    )
