"""A client's levels of care over time, read from the timeline view: each change opens a stint
that the next change closes. (Who was on the care team, and when, is ``careTeam``.)"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from carecoord.events import Kind
from carecoord.events.care import LevelOfCare, LevelOfCareChanged
from carecoord.graphql import (
    log_pages,
    periods,
    therapy,  # noqa: F401  (registers the GraphQL `LevelOfCare` enum)
)
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import client_query
from carecoord.graphql.whole_ranges import at_most_rows
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


async def stints_shown(
    ctx: RequestContext,
    client_id: UUID,
    grant: Grant,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> list[timeline.Stint]:
    """A client's stints of a period as ``grant`` shows them, at most ``MAX_ROWS``: a reason
    its writer's role tells more in than the grant shows is null (``graphql/withheld.py``).
    A client moved between levels often over years has more than one response should hold."""
    periods.in_order(("occurredFrom", "occurredTo"), occurred_from, occurred_to)
    found = await timeline.level_of_care_stints(
        ctx.platform.reads,
        client_id,
        ctx.shown(grant),
        occurred_from,
        occurred_to,
        log_pages.MAX_ROWS + 1,
    )
    rows = at_most_rows(found, ("occurredFrom", "occurredTo"))
    reader = ctx.reader().id
    for row in rows:
        free_text = LevelOfCareChanged.free_text
        gone = withheld(free_text, grant, row["actor_role"], row["actor_id"], reader)
        row["facts"] = without(row["facts"], gone)
    return rows


@strawberry.type
class CareHistoryQuery:
    level_of_care_history = client_query(
        "A client's levels of care, oldest first; the last is current. Those that began in the"
        " period (occurredFrom, before occurredTo), each until the next began, whole: at most"
        f" {log_pages.MAX_ROWS}, refused past that.",
        timeline.NAME,
        stints_shown,
        LevelOfCareStint.of,
        kinds=lambda rows: [Kind.CARE] * len(rows),
    )
