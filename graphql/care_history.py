"""A client's levels of care and treatment episodes over time, read from the timeline view:
each change of level opens a stint that the next change or a discharge closes, and each
enrolment or readmission opens an episode that a discharge closes. (Who was on the care
team, and when, is ``careTeam``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry

from carecoord.events import Kind
from carecoord.events.care import (
    ClientDischarged,
    ClientReadmitted,
    DischargeEnteredInError,
    DischargeReason,
    LevelOfCare,
    LevelOfCareChanged,
    ReadmissionEnteredInError,
)
from carecoord.events.envelope import type_name
from carecoord.graphql import (
    care,  # noqa: F401  (registers the GraphQL `DischargeReason` enum)
    log_pages,
    periods,
    therapy,  # noqa: F401  (registers the GraphQL `LevelOfCare` enum)
)
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import client_query
from carecoord.graphql.seqs import Seq
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
    position: Seq

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
            position=Seq(row["position"]),
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


@strawberry.type(
    description=(
        "A discharge or readmission marked entered in error: it stays on the record (and the"
        " timeline), and counts for no episode."
    )
)
class EpisodeStepInError:
    entry_id: UUID = strawberry.field(description="The discharge's or readmission's event.")
    step: str = strawberry.field(description="`discharge` or `readmission`.")
    entry_at: datetime = strawberry.field(description="When it said the step happened.")
    marked_at: datetime
    marked_by: str
    reason: str | None = strawberry.field(
        description="Why it was marked; null where withheld: its writer reads more of the"
        " record than you do."
    )
    withheld: list[str] = strawberry.field(
        description="`reason` where it is withheld from you, else empty."
    )


@strawberry.type(
    description=(
        "A treatment episode (FHIR Encounter with its hospitalization): from the enrolment or"
        " a readmission to the discharge that ended it. A discharge marked entered in error"
        " ends none (the episode goes on), and a readmission marked so begins none (the"
        " episode before stays ended); each is listed in `enteredInError` of the episode it"
        " was recorded in."
    )
)
class TreatmentEpisode:
    admission_id: UUID = strawberry.field(
        description="The enrolment's or readmission's event (`readmissionId` of"
        " `markReadmissionEnteredInError`)."
    )
    admitted_at: datetime
    readmission: bool = strawberry.field(description="Begun by a readmission.")
    discharged_at: datetime | None = strawberry.field(description="Null while it lasts.")
    reason: DischargeReason | None = strawberry.field(description="Why it ended.")
    level: LevelOfCare | None = strawberry.field(description="The level of care it ended at.")
    note: str | None = strawberry.field(
        description="The discharge note; null where withheld: its writer reads more of the"
        " record than you do."
    )
    withheld: list[str] = strawberry.field(
        description="`note` where it is withheld from you (docs/access.md), else empty."
    )
    discharged_by: str | None
    discharge_id: UUID | None = strawberry.field(
        description="The discharge's event (`dischargeId` of `markDischargeEnteredInError`);"
        " null while it lasts."
    )
    entered_in_error: list[EpisodeStepInError] = strawberry.field(
        description="Its discharges and readmissions marked entered in error, oldest first."
    )
    position: Seq = strawberry.field(description="Of its latest entry.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> TreatmentEpisode:
        marked = [EpisodeStepInError(**m) for m in row["entered_in_error"]]
        return cls(**{**row, "entered_in_error": marked})


IN_ERROR = {
    type_name(DischargeEnteredInError): "discharge",
    type_name(ReadmissionEnteredInError): "readmission",
}
"""Each correction's type, and the step it marks."""


async def episodes_shown(
    ctx: RequestContext, client_id: UUID, grant: Grant
) -> list[dict[str, Any]]:
    """A client's treatment episodes, oldest first, as ``grant`` shows them: a discharge
    note (or a mark's reason) its writer's role tells more in than the grant shows is null.
    A discharge or readmission marked entered in error counts for no episode, and is listed
    in the episode it was recorded in. At most ``MAX_ROWS`` enrolments, discharges,
    readmissions and marks."""
    found = await timeline.episode_steps(
        ctx.platform.reads, client_id, ctx.shown(grant), log_pages.MAX_ROWS + 1
    )
    steps = at_most_rows(found, ("clientId", "clientId"))
    reader = ctx.reader().id
    marks = {
        UUID(step["facts"]["entry_event_id"]): step for step in steps if step["type"] in IN_ERROR
    }
    episodes: list[dict[str, Any]] = []
    for step in steps:
        facts = step["facts"]
        mark = marks.get(step["event_id"])
        if step["type"] in IN_ERROR:
            continue
        if mark is not None:
            if episodes:
                _marked(episodes[-1], step, mark, grant, reader)
        elif step["type"] != type_name(ClientDischarged):
            readmission = step["type"] == type_name(ClientReadmitted)
            episodes.append(
                {
                    "admission_id": step["event_id"], "admitted_at": step["occurred_at"],
                    "readmission": readmission, "discharged_at": None, "reason": None,
                    "level": None, "note": None, "withheld": [], "discharged_by": None,
                    "discharge_id": None, "entered_in_error": [], "position": step["position"],
                }
            )  # fmt: skip
        elif episodes:
            gone = withheld(
                ClientDischarged.free_text, grant, step["actor_role"], step["actor_id"], reader
            )
            shown = without(facts, gone)
            level = facts.get("level")
            episodes[-1].update(
                discharged_at=step["occurred_at"],
                reason=DischargeReason(facts["reason"]),
                level=None if level is None else LevelOfCare(level),
                note=shown.get("note", ""),
                withheld=gone,
                discharged_by=step["actor_id"],
                discharge_id=step["event_id"],
                position=max(step["position"], episodes[-1]["position"]),
            )
    return episodes


def _marked(
    episode: dict[str, Any],
    step: timeline.EpisodeStep,
    mark: timeline.EpisodeStep,
    grant: Grant,
    reader: str,
) -> None:
    """List the discharge or readmission ``step``, marked in error by ``mark``, in the
    episode it was recorded in, which goes on (a discharge's) or stays ended (a
    readmission's)."""
    gone = withheld(["reason"], grant, mark["actor_role"], mark["actor_id"], reader)
    episode["entered_in_error"].append(
        {
            "entry_id": step["event_id"],
            "step": IN_ERROR[mark["type"]],
            "entry_at": step["occurred_at"],
            "marked_at": mark["occurred_at"],
            "marked_by": mark["actor_id"],
            "reason": None if gone else mark["facts"]["reason"],
            "withheld": gone,
        }
    )
    episode["position"] = max(episode["position"], step["position"], mark["position"])


@strawberry.type
class CareHistoryQuery:
    level_of_care_history = client_query(
        "A client's levels of care, oldest first; the last is current. Those that began in the"
        " period (occurredFrom, before occurredTo), each until the next began, whole: at most"
        f" {log_pages.MAX_ROWS}, refused past that.",
        timeline.NAME,
        stints_shown,
        LevelOfCareStint.of,
        needs=Kind.CARE,
        checks=periods.occurred,
        kinds=lambda rows: [Kind.CARE] * len(rows),
    )
    treatment_episodes = client_query(
        "A client's treatment episodes, oldest first; the last is current unless it has"
        f" ended. At most {log_pages.MAX_ROWS} enrolments, discharges and readmissions"
        " (with those marked entered in error and their marks), refused past that.",
        timeline.NAME,
        episodes_shown,
        TreatmentEpisode.of,
        needs=Kind.CARE,
        kinds=lambda rows: [Kind.CARE] * len(rows),
    )
