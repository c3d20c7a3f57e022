"""Therapy sessions, notes, level of care and treatment-plan goals through the API, and the
goals view (each goal with its progress history)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any, cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from carecoord.events import Kind
from carecoord.events.care import GoalAchievement, LevelOfCare, TreatmentGoalSet
from carecoord.events.therapy import CancellationReason, Modality, SessionFormat
from carecoord.graphql import log_pages
from carecoord.graphql.closure import close_program, lift_program_closure
from carecoord.graphql.context import RequestContext, own_kinds
from carecoord.graphql.declared import (
    alerting_mutation,
    client_mutation,
    client_query,
    into,
)
from carecoord.graphql.whole_ranges import at_most_rows
from carecoord.graphql.withheld import step_shown, withheld, without
from carecoord.projections import goals
from carecoord.services.care import commands as care
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.policy import Grant
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome

strawberry.enum(Modality, description="Therapy modality.")
strawberry.enum(SessionFormat, description="Individual or group.")
strawberry.enum(Outcome, name="SessionOutcome", description="How a session went for a client.")
strawberry.enum(CancellationReason, description="Why a session was cancelled before it began.")
strawberry.enum(LevelOfCare, description="Where the client is treated (FHIR EpisodeOfCare).")
strawberry.enum(GoalAchievement, description="FHIR Goal.achievementStatus.")


@strawberry.input(description="Book a session: one client, or every member of a group.")
class ScheduleSessionInput:
    client_ids: list[UUID]
    modality: Modality
    format: SessionFormat
    scheduled_for: datetime = strawberry.field(
        description=(
            "When it begins; it holds plannedMinutes from then. Refused while a client is"
            " booked into another session then (client-booked-then), or the clinician leads"
            " one then (therapist-booked-then; a group session is one); a session"
            " cancelled or late-cancelled (by every member) frees its time. Refused to"
            " begin while the clients' program is closed (program-closed, closeProgram)."
        )
    )
    planned_minutes: int
    clinician_id: str | None = strawberry.field(
        default=None,
        description=(
            "The clinician leading it, a therapist or prescriber on every client's care team"
            " now, who leads one session at a time; you if omitted."
        ),
    )
    occurred_at: datetime | None = None


@strawberry.input(description="Cancel a client's session before it begins.")
class CancelSessionInput:
    client_id: UUID
    session_id: UUID
    reason: CancellationReason = strawberry.field(
        description="A program admin gives PROGRAM_CLOSURE only (closure-only)."
    )
    note: str = strawberry.field(
        default="",
        description=(
            "Optional, at most 500 characters; withheld from a reader whose grant shows less"
            " than its writer's role does."
        ),
    )
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When it was cancelled, before the session's start (at or after it:"
            " cancelled-before-start, record its outcome instead); now if omitted."
        ),
    )


@strawberry.input(
    description="Cancel a group session, one meeting, for every member still booked on it."
)
class CancelGroupSessionInput:
    session_id: UUID
    client_ids: list[UUID] = strawberry.field(
        description=(
            "Every member whose session is still booked (not cancelled, no outcome), each once;"
            " one left out is refused (every-member), as the meeting would hold its leader's"
            " time."
        )
    )
    reason: CancellationReason = strawberry.field(
        description="A program admin gives PROGRAM_CLOSURE only (closure-only)."
    )
    note: str = strawberry.field(
        default="",
        description=(
            "Optional, at most 500 characters, kept on each member's cancellation; withheld"
            " from a reader whose grant shows less than its writer's role does."
        ),
    )
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When it was cancelled, before the session's start (at or after it:"
            " cancelled-before-start, record its outcome instead); now if omitted."
        ),
    )


@strawberry.input
class AttendanceInput:
    client_id: UUID
    outcome: Outcome


@strawberry.input(description="How a session went, for each client booked on it.")
class RecordAttendanceInput:
    session_id: UUID
    attendance: list[AttendanceInput]
    duration_minutes: int | None = strawberry.field(
        default=None,
        description=(
            "Length of the session; required if anyone attended, only then. From the session's"
            " start it ends by now (a few minutes of clock skew aside): not-in-future."
        ),
    )
    reason: str = strawberry.field(
        default="", description="Why a client late-cancelled; only with a late cancellation."
    )
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
        default=None,
        description=(
            "Length of the session; required when it was attended. From the session's start"
            " it ends by now (a few minutes of clock skew aside): not-in-future."
        ),
    )


@strawberry.input(description="A note on a session.")
class SessionNoteInput:
    client_id: UUID
    session_id: UUID
    note: str
    occurred_at: datetime | None = None


@strawberry.input(description="A session or counseling note recorded in error.")
class NoteInErrorInput:
    client_id: UUID
    note_id: UUID = strawberry.field(description="The note's eventId, as its timeline reads.")
    reason: str = strawberry.field(description="Why it is in error: 1 to 500 characters.")


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


def session_note(description: str, action: Action, *, counseling: bool) -> Any:
    """A note on a session; a counseling note is restricted and kept apart."""
    command = partial(therapy.record_session_note, counseling=counseling)
    return client_mutation(description, action, command, SessionNoteInput)


@strawberry.type
class TherapyMutation:
    schedule_session = client_mutation(
        "Book a therapy session; returns the session id.",
        Action.SCHEDULE_SESSION,
        therapy.schedule_session,
        ScheduleSessionInput,
        clients=lambda given: given.client_ids,
        client_field="clientIds.{n}",
    )
    cancel_session = client_mutation(
        "Cancel a client's session before it begins, freeing its time (and its clinician's,"
        " once every member's is cancelled); after it began, record its outcome with"
        " recordAttendance. Returns the session id.",
        Action.CANCEL_SESSION,
        therapy.cancel_session,
        CancelSessionInput,
    )
    cancel_group_session = client_mutation(
        "Cancel a group session for every member still booked on it, in one transaction: each"
        " member's session reads cancelled with the reason and its leader's time is free, or"
        " nothing is recorded. Returns the session id.",
        Action.CANCEL_SESSION,
        therapy.cancel_group_session,
        CancelGroupSessionInput,
        clients=lambda given: given.client_ids,
        client_field="clientIds.{n}",
    )
    close_program = strawberry.mutation(
        resolver=close_program,
        description=(
            "Close the program your token names (program admins) from one time until another:"
            " every session of its clients beginning then and not yet begun is cancelled"
            " (PROGRAM_CLOSURE), a group session for every member, one transaction a client."
            " Answers how many sessions and clients, naming none; sent again, cancels what is"
            " left and nothing twice."
        ),
    )
    lift_program_closure = strawberry.mutation(
        resolver=lift_program_closure,
        description=(
            "Lift a closure of the program your token names (program admins), made in error:"
            " from then on sessions are booked in its span again (from and until as the"
            " closure was sent; closure-unknown otherwise). The sessions it cancelled stay"
            " cancelled: book them again. Returns the lifting's id."
        ),
    )
    record_attendance = alerting_mutation(
        "Record attended, late-cancelled or no-show per client.",
        Action.RECORD_ATTENDANCE,
        therapy.record_attendance,
        RecordAttendanceInput,
        clients=lambda given: [a.client_id for a in given.attendance],
        client_field="attendance.{n}.clientId",
        attendance=lambda given: [(a.client_id, a.outcome) for a in given.attendance],
    )
    correct_session_outcome = alerting_mutation(
        "Correct an outcome recorded by mistake: a new event, the recorded one"
        " stays on the record; returns the session id.",
        Action.CORRECT_SESSION_OUTCOME,
        therapy.correct_outcome,
        CorrectSessionOutcomeInput,
    )
    record_session_note = session_note(
        "A progress note on a session.", Action.RECORD_SESSION_NOTE, counseling=False
    )
    record_counseling_note = session_note(
        "A SUD counseling note (42 CFR Part 2): restricted, kept apart from the record.",
        Action.RECORD_COUNSELING_NOTE,
        counseling=True,
    )
    mark_session_note_entered_in_error = client_mutation(
        "Mark a session or SUD counseling note recorded in error (the wrong client's session,"
        " the wrong text): the note stays on the record, marked, and its correction is on the"
        " timeline (of the note's kind) and in the FHIR export (entered-in-error). Returns"
        " the note's id.",
        Action.ENTER_NOTE_IN_ERROR,
        therapy.mark_note_entered_in_error,
        NoteInErrorInput,
    )
    change_level_of_care = client_mutation(
        "Move the client to a level of care.",
        Action.CHANGE_LEVEL_OF_CARE,
        care.change_level_of_care,
        ChangeLevelOfCareInput,
    )
    set_treatment_goal = client_mutation(
        "Add a goal to the treatment plan; returns the goal id.",
        Action.SET_TREATMENT_GOAL,
        care.set_treatment_goal,
        SetTreatmentGoalInput,
    )
    record_goal_progress = client_mutation(
        "Record how a treatment-plan goal stands.",
        Action.RECORD_GOAL_PROGRESS,
        care.record_goal_progress,
        RecordGoalProgressInput,
    )


@strawberry.type(description="A treatment-plan goal (FHIR Goal) and how it has gone.")
class TreatmentGoal:
    goal_id: UUID
    description: str | None = strawberry.field(
        description="Null where withheld: its writer reads more of the record than you do."
    )
    withheld: list[str] = strawberry.field(
        description="`description` where it is withheld from you (docs/access.md), else empty."
    )
    target_date: date | None
    achievement: GoalAchievement = strawberry.field(description="Where it stands now.")
    set_at: datetime
    set_by: str
    history: JSON = strawberry.field(
        description="Progress steps in order: achievement, note, at, by, role, position,"
        " withheld. A note whose writer reads more of the record than you do is null, and its"
        ' step\'s `withheld` names it (`["note"]`; `[]` where the note is shown).'
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> TreatmentGoal:
        return into(
            cls,
            row,
            withheld=[f for f in TreatmentGoalSet.free_text if row[f] is None],
            achievement=GoalAchievement(row["achievement"]),
            set_by=row["actor_id"],
            history=cast("JSON", row["history"]),
        )


def goal_shown(row: goals.Goal, grant: Grant, reader_id: str) -> dict[str, Any]:
    """``row`` as ``grant`` shows it to ``reader_id``: the goal's words and each step's note
    withheld where their writer's role tells more than the grant shows
    (``graphql/withheld.py``)."""
    gone = withheld(
        TreatmentGoalSet.free_text, grant, row["actor_role"], row["actor_id"], reader_id
    )
    history = [step_shown(step, grant, reader_id) for step in row["history"]]
    return {**without(dict(row), gone), "history": history}


async def goals_shown(
    ctx: RequestContext,
    client_id: UUID,
    grant: Grant,
    set_from: datetime | None = None,
    set_to: datetime | None = None,
) -> list[dict[str, Any]]:
    """A client's goals of a period as ``grant`` shows them to the reader (``goal_shown``),
    at most ``MAX_ROWS`` goals and progress steps together: years of weekly progress notes
    hold more than one response should."""
    found = await goals.client_goals(
        ctx.platform.reads, client_id, ctx.shown(grant), set_from, set_to, log_pages.MAX_ROWS
    )
    rows = at_most_rows(found, ("setFrom", "setTo"), steps="history")
    reader = ctx.reader().id
    return [goal_shown(row, grant, reader) for row in rows]


@strawberry.type
class TherapyQuery:
    client_goals = client_query(
        "A client's treatment-plan goals and progress, oldest first: those set in the period"
        f" (setFrom, before setTo), whole: at most {log_pages.MAX_ROWS} goals and progress"
        " steps together, refused past that.",
        goals.NAME,
        goals_shown,
        TreatmentGoal.of,
        needs=Kind.THERAPY,
        kinds=own_kinds,
    )
