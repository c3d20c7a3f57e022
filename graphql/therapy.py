"""Therapy sessions, notes, level of care and treatment-plan goals through the API, and the
goals view (each goal with its progress history)."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events.care import GoalAchievement, LevelOfCare
from carecoord.events.therapy import Modality, SessionFormat
from carecoord.graphql.care import Recorded, admitted, recorded
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import goals
from carecoord.projections.rows import Shown
from carecoord.services.care import commands as care
from carecoord.services.kernel.access import Action
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome

strawberry.enum(Modality, description="Therapy modality.")
strawberry.enum(SessionFormat, description="Individual or group.")
strawberry.enum(Outcome, name="SessionOutcome", description="How a session went for a client.")
strawberry.enum(LevelOfCare, description="Where the client is treated (FHIR EpisodeOfCare).")
strawberry.enum(GoalAchievement, description="FHIR Goal.achievementStatus.")


@strawberry.input(description="Book a session: one client, or every member of a group.")
class ScheduleSessionInput:
    client_ids: list[UUID]
    modality: Modality
    format: SessionFormat
    scheduled_for: datetime
    planned_minutes: int
    clinician_id: str | None = strawberry.field(
        default=None, description="The clinician leading it; you if omitted."
    )
    occurred_at: datetime | None = None


@strawberry.input
class AttendanceInput:
    client_id: UUID
    outcome: Outcome


@strawberry.input(description="How a session went, for each client booked on it.")
class RecordAttendanceInput:
    session_id: UUID
    attendance: list[AttendanceInput]
    duration_minutes: int | None = strawberry.field(
        default=None, description="Length of the session; required if anyone attended."
    )
    reason: str = strawberry.field(default="", description="For a late cancellation.")
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When it happened; if omitted, the scheduled time (a late cancellation: now).",
    )


@strawberry.input(description="Correct a session outcome recorded by mistake for one client.")
class CorrectSessionOutcomeInput:
    client_id: UUID
    session_id: UUID
    outcome: Outcome = strawberry.field(description="How the session really went.")
    reason: str = strawberry.field(description="Why the recorded outcome was wrong.")
    duration_minutes: int | None = strawberry.field(
        default=None, description="Length of the session; required when it was attended."
    )


@strawberry.input(description="A note on a session.")
class SessionNoteInput:
    client_id: UUID
    session_id: UUID
    note: str
    occurred_at: datetime | None = None


@strawberry.input
class ChangeLevelOfCareInput:
    client_id: UUID
    level: LevelOfCare
    asam_level: str = ""
    reason: str = ""
    occurred_at: datetime | None = None


@strawberry.input
class SetTreatmentGoalInput:
    client_id: UUID
    description: str
    target_date: date | None = None
    occurred_at: datetime | None = None


@strawberry.input
class RecordGoalProgressInput:
    client_id: UUID
    goal_id: UUID
    achievement: GoalAchievement
    note: str = ""
    occurred_at: datetime | None = None


@strawberry.type
class TherapyMutation:
    @strawberry.mutation(description="Book a therapy session; returns the session id.")
    async def schedule_session(
        self, info: Info[RequestContext, None], input: ScheduleSessionInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            therapy.schedule_session(
                await ctx.gate.stamp(Action.SCHEDULE_SESSION, *input.client_ids),
                client_ids=input.client_ids,
                modality=input.modality,
                format=input.format,
                scheduled_for=input.scheduled_for,
                planned_minutes=input.planned_minutes,
                clinician_id=input.clinician_id,
                occurred_at=input.occurred_at,
            ),
        )

    @strawberry.mutation(description="Record attended, late-cancelled or no-show per client.")
    async def record_attendance(
        self, info: Info[RequestContext, None], input: RecordAttendanceInput
    ) -> Recorded:
        ctx = info.context
        return await recorded(
            info,
            therapy.record_attendance(
                await ctx.gate.stamp(
                    Action.RECORD_ATTENDANCE, *(a.client_id for a in input.attendance)
                ),
                session_id=input.session_id,
                attendance=[(a.client_id, a.outcome) for a in input.attendance],
                duration_minutes=input.duration_minutes,
                reason=input.reason,
                occurred_at=input.occurred_at,
                rules=ctx.platform.alert_rules,
            ),
        )

    @strawberry.mutation(
        description="Correct an outcome recorded by mistake: a new event, the recorded one"
        " stays on the record; returns the session id."
    )
    async def correct_session_outcome(
        self, info: Info[RequestContext, None], input: CorrectSessionOutcomeInput
    ) -> Recorded:
        ctx = info.context
        return await admitted(
            info,
            Action.CORRECT_SESSION_OUTCOME,
            therapy.correct_outcome,
            input,
            rules=ctx.platform.alert_rules,
        )

    @strawberry.mutation(description="A progress note on a session.")
    async def record_session_note(
        self, info: Info[RequestContext, None], input: SessionNoteInput
    ) -> Recorded:
        return await _note(info, input, counseling=False)

    @strawberry.mutation(
        description="A SUD counseling note (42 CFR Part 2): restricted, kept apart from the record."
    )
    async def record_counseling_note(
        self, info: Info[RequestContext, None], input: SessionNoteInput
    ) -> Recorded:
        return await _note(info, input, counseling=True)

    @strawberry.mutation(description="Move the client to a level of care.")
    async def change_level_of_care(
        self, info: Info[RequestContext, None], input: ChangeLevelOfCareInput
    ) -> Recorded:
        return await admitted(info, Action.CHANGE_LEVEL_OF_CARE, care.change_level_of_care, input)

    @strawberry.mutation(description="Add a goal to the treatment plan; returns the goal id.")
    async def set_treatment_goal(
        self, info: Info[RequestContext, None], input: SetTreatmentGoalInput
    ) -> Recorded:
        return await admitted(info, Action.SET_TREATMENT_GOAL, care.set_treatment_goal, input)

    @strawberry.mutation(description="Record how a treatment-plan goal stands.")
    async def record_goal_progress(
        self, info: Info[RequestContext, None], input: RecordGoalProgressInput
    ) -> Recorded:
        return await admitted(info, Action.RECORD_GOAL_PROGRESS, care.record_goal_progress, input)


async def _note(
    info: Info[RequestContext, None], input: SessionNoteInput, *, counseling: bool
) -> Recorded:
    action = Action.RECORD_COUNSELING_NOTE if counseling else Action.RECORD_SESSION_NOTE
    return await admitted(info, action, therapy.record_session_note, input, counseling=counseling)


@strawberry.type(description="A treatment-plan goal (FHIR Goal) and how it has gone.")
class TreatmentGoal:
    goal_id: UUID
    description: str
    target_date: date | None
    achievement: GoalAchievement = strawberry.field(description="Where it stands now.")
    set_at: datetime
    set_by: str
    history: JSON = strawberry.field(
        description="Progress steps in order: achievement, note, at, by, role, position."
    )

    @classmethod
    def of(cls, row: goals.Goal) -> TreatmentGoal:
        return cls(
            goal_id=row["goal_id"],
            description=row["description"],
            target_date=row["target_date"],
            achievement=GoalAchievement(row["achievement"]),
            set_at=row["set_at"],
            set_by=row["actor_id"],
            history=cast("JSON", row["history"]),
        )


@strawberry.type
class TherapyQuery:
    @strawberry.field(description="A client's treatment-plan goals and progress, oldest first.")
    async def client_goals(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        at_least: AtLeast = None,
    ) -> list[TreatmentGoal]:
        ctx = info.context
        grant = await ctx.gate.readable(client_id, operation="clientGoals", at_least=at_least)
        await ctx.caught_up(goals.NAME, at_least)
        rows = await goals.client_goals(
            ctx.platform.reads, client_id, Shown.of(grant, ctx.reader().id)
        )
        await ctx.gate.record_read(
            client_id,
            grant,
            operation="clientGoals",
            kinds=(r["kind"] for r in rows),
            count=len(rows),
        )
        return [TreatmentGoal.of(r) for r in rows]
