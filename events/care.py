"""Facts about a client's place in a program: enrollment, discharge and readmission, level of
care, treatment plan goals."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from carecoord.events.envelope import CareEvent, EnteredInError, Kind


class _Care(CareEvent):
    context: ClassVar[str] = "care"
    type_kind: ClassVar[Kind] = Kind.CARE


class ClientEnrolled(_Care):
    """A client was admitted to a program; every other record hangs off this one."""

    summary_template: ClassVar[str] = "Enrolled in {program} as {display_name}"

    display_name: str = Field(min_length=1, max_length=200)
    program: str = Field(min_length=1, max_length=200)


class LevelOfCare(StrEnum):
    """Where the client is treated (FHIR EpisodeOfCare.type), in the issue's terms.

    The ASAM level (e.g. ``3.7``, ``2.1``) travels beside it as free text because the 4th
    edition renumbered some levels (domain.md section 3, "Levels of care").
    """

    WITHDRAWAL_MANAGEMENT = "withdrawal_management"
    RESIDENTIAL = "residential"
    PARTIAL_HOSPITALIZATION = "partial_hospitalization"
    INTENSIVE_OUTPATIENT = "intensive_outpatient"
    OUTPATIENT = "outpatient"
    AFTERCARE = "aftercare"


class LevelOfCareChanged(_Care):
    """The client moved to a level of care from ``occurred_at`` on; the previous stint ends."""

    summary_template: ClassVar[str] = "Level of care: {level}"
    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    level: LevelOfCare
    previous_level: LevelOfCare | None = None
    asam_level: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=500)


class GoalAchievement(StrEnum):
    """FHIR Goal.achievementStatus."""

    IN_PROGRESS = "in-progress"
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no-change"
    ACHIEVED = "achieved"
    SUSTAINING = "sustaining"
    NOT_ACHIEVED = "not-achieved"
    NO_PROGRESS = "no-progress"
    NOT_ATTAINABLE = "not-attainable"


class _Goal(_Care):
    """A fact about one goal of the treatment plan, which the reader knows by its words."""

    type_kind: ClassVar[Kind] = Kind.THERAPY

    goal_id: UUID
    description: str = Field(min_length=1, max_length=500)


class TreatmentGoalSet(_Goal):
    """A goal was added to the client's treatment plan (FHIR CarePlan.goal / Goal).

    Goals are clinical content, so they are THERAPY kind: the care team's clinicians see
    them, program admins and peer supporters do not.
    """

    summary_template: ClassVar[str] = "Treatment goal set"
    free_text: ClassVar[tuple[str, ...]] = ("description",)

    target_date: date | None = None


class GoalProgressRecorded(_Goal):
    """How a treatment-plan goal stands now; ``achieved`` and ``not-attainable`` close it."""

    summary_template: ClassVar[str] = "Goal progress: {achievement}"
    free_text: ClassVar[tuple[str, ...]] = ("description", "note")

    achievement: GoalAchievement
    note: str = Field(default="", max_length=2000)


class DischargeReason(StrEnum):
    """Why a treatment episode ended: the reasons OTP discharge summaries and state
    admission/discharge reporting use, as a closed list."""

    TREATMENT_COMPLETED = "treatment_completed"
    TRANSFERRED = "transferred"
    ADMINISTRATIVE = "administrative"
    LEFT_AGAINST_ADVICE = "left_against_advice"
    INCARCERATED = "incarcerated"
    DECEASED = "deceased"


class ClientDischarged(_Care):
    """The client's treatment episode ended at ``occurred_at``: no dose, take-home, order,
    booking or level of care is recorded for them after it until a readmission."""

    summary_template: ClassVar[str] = "Discharged: {reason}"
    free_text: ClassVar[tuple[str, ...]] = ("note",)

    reason: DischargeReason
    admitted_at: AwareDatetime
    """When the episode it ends began: the enrolment or the readmission before it."""
    level: LevelOfCare | None = None
    """The level of care the episode ended at, none if none was recorded."""
    note: str = Field(default="", max_length=2000)


class ClientReadmitted(_Care):
    """A discharged client began a new treatment episode at ``occurred_at``: time in
    treatment (the take-home schedule's day 1) counts afresh from it."""

    summary_template: ClassVar[str] = "Readmitted to {program}"

    program: str = Field(min_length=1, max_length=200)
    discharged_at: AwareDatetime
    """When the episode before it ended."""


class _EpisodeStepInError(EnteredInError, _Care):
    """A discharge or a readmission recorded in error (the wrong client, a death reported
    of someone else): the episode goes on as if it had not been recorded, and its own
    record stays. ``entry_event_id`` is the event that recorded it."""

    summary_text: ClassVar[str] = "reason"

    entry_event_id: UUID


class DischargeEnteredInError(_EpisodeStepInError):
    """The discharge ``entry_event_id`` was recorded in error: the episode it ended goes on,
    at the level of care it ended at. What the discharge closed in its own transaction
    (sessions cancelled, guest dosing ended, consents given until discharge expired) stays
    closed: each is its own event, booked, arranged or given again if still wanted."""

    summary_template: ClassVar[str] = "Discharge entered in error ({reason})"

    discharged_at: AwareDatetime
    """When the discharge said the episode ended."""
    admitted_at: AwareDatetime
    """When the episode it said it ended began, which goes on."""


class ReadmissionEnteredInError(_EpisodeStepInError):
    """The readmission ``entry_event_id`` was recorded in error: the client is out of
    treatment again from the discharge it said it ended, and no episode began with it."""

    summary_template: ClassVar[str] = "Readmission entered in error ({reason})"

    readmitted_at: AwareDatetime
    """When the readmission said the new episode began."""
    discharged_at: AwareDatetime
    """The discharge it said it ended, which stands again."""


EPISODE_CORRECTIONS: tuple[type[CareEvent], ...] = (
    DischargeEnteredInError,
    ReadmissionEnteredInError,
)
