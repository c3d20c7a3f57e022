"""A client's levels of care over time, read from the timeline view: each change opens a stint
that the next change closes. (Who was on the care team, and when, is ``careTeam``.)"""

from __future__ import annotations

from datetime import datetime

import strawberry

from carecoord.events import Kind
from carecoord.events.care import LevelOfCare
from carecoord.graphql import therapy  # noqa: F401  (registers the GraphQL `LevelOfCare` enum)
from carecoord.graphql.declared import client_query, shown_rows
from carecoord.projections import timeline


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
    level_of_care_history = client_query(
        "A client's levels of care, oldest first; the last is current.",
        timeline.NAME,
        shown_rows(timeline.level_of_care_stints),
        LevelOfCareStint.of,
        kinds=lambda rows: [Kind.CARE] * len(rows),
    )
