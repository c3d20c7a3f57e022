"""Facts about therapy: sessions scheduled and how they went, session notes, and SUD
counseling notes.

FHIR mapping: a session is an Encounter (``type`` = modality, ``class`` AMB); a group
session is one Encounter per member with the same ``session_id``, so each client's record
holds only their own attendance. SUD counseling notes (42 CFR Part 2, 2024 rule) are their
own kind, ``COUNSELING_NOTE``: access rules single them out, and their summary never
carries the note text.

A clinician's calendar is a record of its own, no client's: ``ClinicianBooked`` carries the
calendar's id (``calendar_id(clinician_id)``) in ``client_id``, as a stock event carries a
site's, so that two bookings of one clinician at once write one record and conflict. A
program's closures are the program's record (``program_id(program)``):
``ProgramClosureDeclared`` as a closure begins, ``ProgramClosed`` once it is done.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field, model_validator

from carecoord.events.envelope import CareEvent, EnteredInError, Kind


class Modality(StrEnum):
    CBT = "cbt"
    DBT = "dbt"
    REBT = "rebt"
    MOTIVATIONAL_INTERVIEWING = "motivational_interviewing"
    GROUP = "group"
    FAMILY = "family"
    OTHER = "other"


class SessionFormat(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class _Session(CareEvent):
    context: ClassVar[str] = "therapy"
    type_kind: ClassVar[Kind] = Kind.THERAPY

    session_id: UUID


class SessionScheduled(_Session):
    """A session was booked for the client; ``occurred_at`` is when it was booked."""

    summary_template: ClassVar[str] = (
        "{format} {modality} session scheduled for {scheduled_for} with {clinician_id}"
    )

    modality: Modality
    format: SessionFormat
    clinician_id: str = Field(min_length=1, max_length=200)
    scheduled_for: datetime
    planned_minutes: int = Field(ge=5, le=480)
    group_size: int = Field(default=1, ge=1, le=100)


class SessionAttended(_Session):
    summary_template: ClassVar[str] = "Attended {modality} session ({duration_minutes} min)"

    modality: Modality
    duration_minutes: int = Field(ge=1, le=480)


class SessionLateCancelled(_Session):
    """Cancelled too late to give the slot to someone else (counts like a no-show for the
    schedule, not for the no-show alert)."""

    summary_template: ClassVar[str] = "Late-cancelled {modality} session"

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    modality: Modality
    reason: str = Field(default="", max_length=500)


class CancellationReason(StrEnum):
    """Why a session was cancelled before it began."""

    CLIENT_REQUEST = "client_request"
    CLINICIAN_UNAVAILABLE = "clinician_unavailable"
    PROGRAM_CLOSURE = "program_closure"
    CLIENT_DISCHARGED = "client_discharged"
    OTHER = "other"


class SessionCancelled(_Session):
    """Cancelled before it began, in time to give the slot to someone else: not an outcome
    of the session (nobody was expected), so it counts for no no-show run and frees the
    client's time and, once every member's is cancelled, the clinician's. FHIR: the
    Encounter's status is ``cancelled``."""

    summary_template: ClassVar[str] = "Cancelled {modality} session"
    free_text: ClassVar[tuple[str, ...]] = ("note",)

    modality: Modality
    reason: CancellationReason
    note: str = Field(default="", max_length=500)


class SessionNoShow(_Session):
    summary_template: ClassVar[str] = "No-show for {modality} session"

    modality: Modality


class SessionOutcome(StrEnum):
    """How a session went for the client, once it has an outcome."""

    ATTENDED = "attended"
    LATE_CANCELLED = "late_cancelled"
    NO_SHOW = "no_show"


class SessionOutcomeCorrected(_Session):
    """The outcome recorded for the session was a mistake: it went as ``outcome`` says.

    The recorded outcome stays on the record; this names it (``corrects_event_id``, the
    outcome event or the correction it replaces) and why it was wrong. FHIR: the Encounter
    takes the corrected status, with a Provenance (UPDATE) naming the correction.
    """

    summary_template: ClassVar[str] = (
        "Session outcome corrected: {previous_outcome} → {outcome} ({reason})"
    )
    free_text: ClassVar[tuple[str, ...]] = ("reason",)
    summary_text: ClassVar[str] = "reason"

    modality: Modality
    corrects_event_id: UUID
    previous_outcome: SessionOutcome
    outcome: SessionOutcome
    duration_minutes: int | None = Field(default=None, ge=1, le=480)
    """The session's length, when it was attended."""
    reason: str = Field(min_length=1, max_length=500)


class SessionNoteRecorded(_Session):
    """A progress note on a session (THERAPY kind: the clinical team reads it)."""

    summary_template: ClassVar[str] = "Session note recorded"
    free_text: ClassVar[tuple[str, ...]] = ("note",)

    note: str = Field(min_length=1, max_length=20000)


class CounselingNoteRecorded(_Session):
    """A SUD counseling note: kept apart from the record, its text never in the summary."""

    type_kind: ClassVar[Kind] = Kind.COUNSELING_NOTE
    summary_template: ClassVar[str] = "SUD counseling note recorded"

    note: str = Field(min_length=1, max_length=20000)


class _NoteInError(EnteredInError, _Session):
    """A note on the session recorded in error (on the wrong client's session, the wrong
    text): the note stays on the record; this names it (``note_id``, the note's event id)
    and why. FHIR: its DocumentReference is ``entered-in-error``, with a Provenance
    (NULLIFY) giving who and why."""

    note_id: UUID


class SessionNoteEnteredInError(_NoteInError):
    summary_template: ClassVar[str] = "Session note entered in error ({reason})"
    summary_text: ClassVar[str] = "reason"


class CounselingNoteEnteredInError(_NoteInError):
    """Of a SUD counseling note: of its kind, read by those who read the note."""

    type_kind: ClassVar[Kind] = Kind.COUNSELING_NOTE
    summary_template: ClassVar[str] = "SUD counseling note entered in error"


_CALENDARS = uuid5(NAMESPACE_URL, "https://carecoord.dev/clinician-calendars")


def calendar_id(clinician_id: str) -> UUID:
    """The id of the record of the sessions ``clinician_id`` leads (their calendar)."""
    return uuid5(_CALENDARS, clinician_id)


class ClinicianBooked(CareEvent):
    """The clinician leading a session is booked for its time: recorded on their calendar
    (``client_id`` = ``calendar_id(clinician_id)``) beside the session's booking of each
    member, once for a group. Of two bookings of one clinician at once, the second's write
    conflicts and, decided again, is refused when the times overlap
    (``therapist-booked-then``); the session's members say whether it still holds the time
    (``client_ids``: a session cancelled or late-cancelled by each holds none)."""

    context: ClassVar[str] = "therapy"
    type_kind: ClassVar[Kind] = Kind.THERAPY
    about: ClassVar[str] = (
        "The clinician's calendar id (a UUID: calendar_id(clinician_id) in events/therapy.py)"
    )
    summary_template: ClassVar[str] = (
        "{clinician_id} booked to lead session {session_id} at {scheduled_for}"
    )

    clinician_id: str = Field(min_length=1, max_length=200)
    session_id: UUID
    scheduled_for: datetime
    planned_minutes: int = Field(ge=5, le=480)
    client_ids: list[UUID] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _calendar_is_the_record(self) -> Self:
        if self.client_id != calendar_id(self.clinician_id):
            raise ValueError(f"client_id must be the calendar id of {self.clinician_id!r}")
        return self


_PROGRAMS = uuid5(NAMESPACE_URL, "https://carecoord.dev/program-closures")
CLOSURE_NOTE_MAX = 500


def program_id(program: str) -> UUID:
    """The id of the record of ``program``'s closures (its name as clients are enrolled in it)."""
    return uuid5(_PROGRAMS, program)


class _ProgramSpan(CareEvent):
    """An event of the program's record (``client_id`` = ``program_id(program)``) about the
    span it is closed for: sessions beginning from ``closed_from`` and before
    ``closed_until``."""

    context: ClassVar[str] = "therapy"
    type_kind: ClassVar[Kind] = Kind.CARE
    about: ClassVar[str] = "The program's id (a UUID: program_id(program) in events/therapy.py)"

    program: str = Field(min_length=1, max_length=200)
    closed_from: datetime
    closed_until: datetime

    @model_validator(mode="after")
    def _program_is_the_record(self) -> Self:
        if self.client_id != program_id(self.program):
            raise ValueError(f"client_id must be the program id of {self.program!r}")
        if self.closed_until <= self.closed_from:
            raise ValueError("closed_until must be after closed_from")
        return self


class ProgramClosureDeclared(_ProgramSpan):
    """The program's admin closed it from ``closed_from`` until ``closed_until``: recorded
    on the program's record before any of its sessions then is cancelled, so that from
    this event on no session is booked to begin in the span from its ``occurred_at`` on
    (``program-closed``), and the cancellations that follow find every session booked
    before it. ``ProgramClosed``
    follows once they are done; a closure cut short has this event alone, and sent again
    records it no more."""

    summary_template: ClassVar[str] = (
        "Program {program} declared closed from {closed_from} until {closed_until}"
    )


class ProgramClosed(_ProgramSpan):
    """The program closed (weather, an emergency, a holiday) from ``closed_from`` until
    ``closed_until``, by its admin: recorded on the program's record (``client_id`` =
    ``program_id(program)``) once every session of its clients beginning then and not yet
    begun is cancelled (``SessionCancelled``, reason ``program_closure``, one transaction a
    client), with how many sessions and clients this request cancelled. No client's record
    holds it, nor names a session."""

    summary_template: ClassVar[str] = (
        "Program {program} closed from {closed_from} until {closed_until}:"
        " {sessions_cancelled} sessions of {clients_cancelled} clients cancelled"
    )
    free_text: ClassVar[tuple[str, ...]] = ("note",)

    note: str = Field(default="", max_length=CLOSURE_NOTE_MAX)
    sessions_cancelled: int = Field(ge=0, le=10_000_000)
    clients_cancelled: int = Field(ge=0, le=10_000_000)


class ProgramClosureLifted(_ProgramSpan):
    """The program's admin lifted its closure from ``closed_from`` until ``closed_until``
    (as declared), closed in error: the wrong day, or a storm that passed. From this event
    on, sessions of the program's clients are booked in the span again. The sessions the
    closure cancelled stay cancelled, each client's timeline keeping it; they are booked
    again."""

    summary_template: ClassVar[str] = (
        "Program {program} closure from {closed_from} until {closed_until} lifted"
    )
    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    reason: str = Field(min_length=1, max_length=CLOSURE_NOTE_MAX)


THERAPY_EVENTS: tuple[type[CareEvent], ...] = (
    SessionScheduled,
    SessionAttended,
    SessionLateCancelled,
    SessionCancelled,
    SessionNoShow,
    SessionOutcomeCorrected,
    SessionNoteRecorded,
    CounselingNoteRecorded,
    SessionNoteEnteredInError,
    CounselingNoteEnteredInError,
)
CALENDAR_EVENTS: tuple[type[CareEvent], ...] = (ClinicianBooked,)
"""Events about a clinician's calendar: no client's record holds them."""
PROGRAM_EVENTS: tuple[type[CareEvent], ...] = (
    ProgramClosureDeclared,
    ProgramClosed,
    ProgramClosureLifted,
)
"""Events about a program as a whole: no client's record holds them."""
