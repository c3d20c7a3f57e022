"""The therapy record aggregate: one client's sessions, their outcomes and notes.

A session goes from scheduled to one outcome, once: attended or no-show once it has begun,
late-cancelled before it begins. A session cancelled in advance (``cancel``: strictly before
it begins, with a reason code) has no outcome and takes none. An outcome recorded by mistake
is corrected by a new event, never edited; the same rules hold for the corrected outcome. A
group session is one session per member with the same id, so each client's record decides
only about their own attendance. The repeated-no-show alert reads the run of consecutive
no-shows, sessions in the order they were scheduled to begin (an outcome entered late counts
where its session was), as corrected: an attended session ends the run, a late cancellation
leaves it as it was (the client did call), and a cancelled session is in no run. A booking,
an outcome or a note is dated no later than now (``clinical_time.plausible``): what a
clinician records has happened; an attended or no-show outcome is dated no earlier than the
session began, a cancellation or a note no earlier than it was booked (or began, if booked
after). Nothing is booked for, or dated, before the client's enrolment
(``clinical_time.after_enrolment``): each member of a group by their own. A session is
booked at most a year ahead (``BOOKING_HORIZON``). The minutes an attended session ran, from
when it began, end by now (within the tolerance). A client is booked into one session at a
time (``client-booked-then``), as its leader leads one at a time (``calendar.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum, auto
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.bounds import said, visible
from carecoord.events.therapy import (
    CancellationReason,
    CounselingNoteEnteredInError,
    CounselingNoteRecorded,
    Modality,
    SessionAttended,
    SessionCancelled,
    SessionFormat,
    SessionLateCancelled,
    SessionNoShow,
    SessionNoteEnteredInError,
    SessionNoteRecorded,
    SessionOutcome,
    SessionOutcomeCorrected,
    SessionScheduled,
)
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.clinical_time import (
    CLOCK_TOLERANCE,
    IN_FUTURE,
    after_enrolment,
    plausible,
)
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.therapy.slots import Slot

BOOKING_HORIZON = timedelta(days=366)
"""How far ahead a session is booked: one further out stays the client's next session on
every caseload for years and can only be late-cancelled (a typo of 2099 for 2026 was kept)."""


class Outcome(StrEnum):
    SCHEDULED = auto()
    ATTENDED = auto()
    LATE_CANCELLED = auto()
    NO_SHOW = auto()


@dataclass(frozen=True, slots=True)
class Booking:
    """What scheduling a session needs, shared by every member of a group."""

    session_id: UUID
    modality: Modality
    format: SessionFormat
    clinician_id: str
    scheduled_for: datetime
    planned_minutes: int
    group_size: int = 1

    @property
    def slot(self) -> Slot:
        return Slot(self.scheduled_for, self.planned_minutes)


@dataclass(slots=True)
class Session:
    modality: Modality
    format: SessionFormat
    scheduled_for: datetime
    booked_at: datetime
    planned_minutes: int
    clinician_id: str
    """Who leads it: their calendar holds every member of a group (``calendar.py``)."""
    outcome: Outcome = Outcome.SCHEDULED
    outcome_event_id: UUID | None = None
    """The event that recorded the outcome (the latest correction's, once corrected)."""
    duration_minutes: int | None = None
    """The length recorded with an attended outcome (as corrected)."""
    cancelled: bool = False
    """Cancelled before it began (``SessionCancelled``): it will have no outcome."""

    @property
    def slot(self) -> Slot:
        return Slot(self.scheduled_for, self.planned_minutes)

    @property
    def held(self) -> bool:
        """Whether the session holds the client's time: a cancelled or late-cancelled one
        frees it."""
        return not self.cancelled and self.outcome is not Outcome.LATE_CANCELLED

    @property
    def open(self) -> bool:
        """Whether it still waits for an outcome or a cancellation."""
        return not self.cancelled and self.outcome is Outcome.SCHEDULED

    def holds(self, slot: Slot) -> bool:
        """Whether the client is held by this session during ``slot``."""
        return self.held and self.slot.overlaps(slot)

    @property
    def opened(self) -> datetime:
        """The earliest a cancellation or a note of the session is dated: when it was booked,
        or when it began if it was booked (entered) after that."""
        return min(self.booked_at, self.scheduled_for)


THEN_CORRECT = "correct that session's outcome first"
"""What a correction taking back a session's time says of the session holding it since."""


def takes_back_time(session: Session, outcome: Outcome) -> bool:
    """Whether correcting ``session`` to ``outcome`` makes it hold its time again: a late
    cancellation freed it, attended or a no-show holds it."""
    return not session.held and not session.cancelled and outcome is not Outcome.LATE_CANCELLED


@dataclass(frozen=True, slots=True)
class Told:
    """How a session went, as a clinician tells it: attended with its length, late-cancelled
    with why. A first outcome and its correction are held to the same rules (``_may_be``)."""

    outcome: Outcome
    duration_minutes: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Closed:
    """A session's outcome, the event that recorded it, and when the session began."""

    session_id: UUID
    outcome: Outcome
    event_id: UUID
    scheduled_for: datetime


def no_show_run(closed: Iterable[Closed]) -> tuple[UUID, ...]:
    """Event ids of the consecutive no-shows since the last attended session, sessions in
    the order they began, not the order their outcomes were entered."""
    run: list[UUID] = []
    for entry in sorted(closed, key=lambda c: c.scheduled_for):
        if entry.outcome is Outcome.ATTENDED:
            run = []
        elif entry.outcome is Outcome.NO_SHOW:
            run.append(entry.event_id)
    return tuple(run)


HAPPENED = frozenset({Outcome.ATTENDED, Outcome.NO_SHOW})
"""Outcomes known only once the session has begun."""

OUTCOME_EVENTS: dict[Outcome, type[SessionAttended | SessionLateCancelled | SessionNoShow]] = {
    Outcome.ATTENDED: SessionAttended,
    Outcome.LATE_CANCELLED: SessionLateCancelled,
    Outcome.NO_SHOW: SessionNoShow,
}
RECORDED = {cls: outcome for outcome, cls in OUTCOME_EVENTS.items()}


@dataclass(slots=True)
class Note:
    """A note recorded on a session (``counseling``: a SUD counseling note)."""

    session_id: UUID
    author: str
    counseling: bool
    in_error: bool = False


class TherapyRecord(Aggregate, context="therapy"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.sessions: dict[UUID, Session] = {}
        self.closed: dict[UUID, Closed] = {}
        """Sessions with an outcome, by id (``no_show_run`` orders them by when they began)."""
        self.notes: dict[UUID, Note] = {}
        """Each note by its event id: a session's or a counseling note, marked or not."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, SessionScheduled):
            self.sessions[event.session_id] = Session(
                event.modality,
                event.format,
                event.scheduled_for,
                event.occurred_at,
                event.planned_minutes,
                event.clinician_id,
            )
        elif isinstance(event, SessionCancelled):
            self.sessions[event.session_id].cancelled = True
        elif isinstance(event, SessionAttended):
            self._close(event.session_id, Outcome.ATTENDED, event.event_id, event.duration_minutes)
        elif isinstance(event, SessionLateCancelled | SessionNoShow):
            self._close(event.session_id, RECORDED[type(event)], event.event_id)
        elif isinstance(event, SessionNoteRecorded | CounselingNoteRecorded):
            counseling = isinstance(event, CounselingNoteRecorded)
            self.notes[event.event_id] = Note(event.session_id, event.actor.id, counseling)
        elif isinstance(event, SessionNoteEnteredInError | CounselingNoteEnteredInError):
            self.notes[event.note_id].in_error = True
        elif isinstance(event, SessionOutcomeCorrected):
            self._close(
                event.session_id,
                Outcome(event.outcome.value),
                event.event_id,
                event.duration_minutes,
            )

    def _close(
        self, session_id: UUID, outcome: Outcome, event_id: UUID, minutes: int | None = None
    ) -> None:
        session = self.sessions[session_id]
        session.outcome, session.outcome_event_id = outcome, event_id
        session.duration_minutes = minutes
        self.closed[session_id] = Closed(session_id, outcome, event_id, session.scheduled_for)

    def schedule(
        self,
        stamp: Stamp,
        booking: Booking,
        occurred_at: datetime | None,
        *,
        enrolled_at: datetime | None,
    ) -> SessionScheduled:
        """The event booking the session, validated but not yet recorded: a group booking
        checks every member (each enrolled by then) before booking any."""
        if booking.session_id in self.sessions:
            raise RuleViolation(
                "sessionId", "session-exists", f"session {booking.session_id} is already booked"
            )
        self._happened(stamp, occurred_at, enrolled_at)
        self._since_enrolment("scheduledFor", booking.scheduled_for, enrolled_at)
        self._free(booking.slot, "scheduledFor", "cancel it or book another time")
        latest = stamp.clock() + BOOKING_HORIZON
        if booking.scheduled_for > latest:
            raise InvalidInput(
                "scheduledFor",
                "booking-horizon",
                f"scheduledFor {booking.scheduled_for.isoformat(timespec='minutes')} is more"
                f" than {BOOKING_HORIZON.days} days ahead; a session is booked until"
                f" {latest.isoformat(timespec='minutes')} at the latest",
            )
        return stamp.event(
            SessionScheduled,
            self.client_id,
            occurred_at,
            session_id=booking.session_id,
            modality=booking.modality,
            format=booking.format,
            clinician_id=booking.clinician_id.strip(),
            scheduled_for=booking.scheduled_for,
            planned_minutes=booking.planned_minutes,
            group_size=booking.group_size,
        )

    def _free(self, slot: Slot, field: str, then: str, but: UUID | None = None) -> None:
        """Refuse ``slot`` while another of the client's sessions than ``but`` holds it: a
        form sent twice booked the slot twice, and one missed appointment counted as two
        no-shows in a row. ``then`` says what to do about that session."""
        for session_id, session in self.sessions.items():
            if session_id != but and session.holds(slot):
                raise RuleViolation(
                    field,
                    "client-booked-then",
                    f"client {self.client_id} is booked then for session {session_id}"
                    f" ({session.slot.said()}); {then}",
                )

    def outcome(
        self,
        stamp: Stamp,
        session_id: UUID,
        told: Told,
        occurred_at: datetime | None,
        *,
        enrolled_at: datetime | None,
    ) -> SessionAttended | SessionLateCancelled | SessionNoShow:
        """The event recording how the session went, validated but not yet recorded: a group
        command checks every member before recording any (``record`` it to keep it)."""
        outcome, duration_minutes = told.outcome, told.duration_minutes
        session = self.session(session_id)
        _without_outcome(
            session_id,
            session,
            self.client_id,
            "a session has one outcome (correct it if it was recorded by mistake)",
        )
        _may_be(stamp, session_id, session, told)
        starts = session.scheduled_for
        if outcome is Outcome.LATE_CANCELLED and occurred_at is not None and occurred_at > starts:
            raise RuleViolation(
                "occurredAt",
                "cancelled-after-start",
                f"a cancellation after the session began ({starts.isoformat()}) is a no_show",
            )
        if outcome in HAPPENED and occurred_at is not None and occurred_at < starts:
            raise RuleViolation(
                "occurredAt",
                "outcome-before-start",
                f"the session began {starts.isoformat()}; {outcome.value} is dated from then on"
                " (a session called off before it is cancelled with cancelSession, or"
                " late_cancelled if the client called it off too late)",
            )
        self._happened(stamp, occurred_at, enrolled_at, session)
        facts: dict[str, object] = {"session_id": session_id, "modality": session.modality}
        if outcome is Outcome.ATTENDED:
            facts["duration_minutes"] = duration_minutes
        when = starts
        if outcome is Outcome.LATE_CANCELLED:
            facts["reason"] = said(told.reason)
            when = min(stamp.clock(), starts)  # cancelled now, or entered after the slot
        return stamp.event(OUTCOME_EVENTS[outcome], self.client_id, occurred_at or when, **facts)

    def correct_outcome(
        self, stamp: Stamp, session_id: UUID, told: Told
    ) -> SessionOutcomeCorrected:
        """The event correcting an outcome recorded by mistake, validated but not yet
        recorded (as ``outcome``). The corrected outcome obeys the rules of a first one; an
        attended session may be corrected to attended with another length."""
        outcome, reason = told.outcome, told.reason
        session = self.session(session_id)
        _not_cancelled(session_id, session)
        if session.outcome is Outcome.SCHEDULED or session.outcome_event_id is None:
            raise RuleViolation(
                "sessionId",
                "outcome-to-correct",
                f"session {session_id} has no outcome yet; record it instead",
            )
        if outcome is session.outcome and (
            outcome is not Outcome.ATTENDED
            or told.duration_minutes in (None, session.duration_minutes)
        ):
            length = (
                f" ({session.duration_minutes} min); give the right durationMinutes to correct"
                " its length"
                if session.duration_minutes
                else ""
            )
            raise InvalidInput(
                "outcome",
                "outcome-unchanged",
                f"session {session_id} is already recorded as {outcome.value}{length}",
            )
        if not visible(reason):
            raise InvalidInput(
                "reason", "correction-reason", "say why the recorded outcome was wrong"
            )
        _may_be(stamp, session_id, session, told)
        if takes_back_time(session, outcome):
            # A late cancellation freed the time, and another session may have taken it.
            self._free(session.slot, "outcome", THEN_CORRECT, but=session_id)
        return stamp.event(
            SessionOutcomeCorrected,
            self.client_id,
            None,
            session_id=session_id,
            modality=session.modality,
            corrects_event_id=session.outcome_event_id,
            previous_outcome=SessionOutcome(session.outcome.value),
            outcome=SessionOutcome(outcome.value),
            duration_minutes=told.duration_minutes,
            reason=reason.strip(),
        )

    def cancel(
        self,
        stamp: Stamp,
        session_id: UUID,
        reason: CancellationReason,
        note: str,
        occurred_at: datetime | None,
        *,
        enrolled_at: datetime | None,
    ) -> SessionCancelled:
        """The event cancelling the session before it begins, validated but not yet recorded
        (``record`` it to keep it). From its start on its outcome is recorded instead (a
        cancellation then is a late cancellation or a no-show, which ``_may_be`` admits from
        the start): a cancellation at the start itself was kept, where a no-show was too. A
        discharge cancels a session beginning at it all the same: its client is out of
        treatment from then, so no outcome is told of it (``_in_treatment_then``)."""
        session = self.session(session_id)
        _without_outcome(
            session_id, session, self.client_id, "a session with an outcome is not cancelled"
        )
        self._happened(stamp, occurred_at, enrolled_at, session)  # a time ahead: not begun
        when = occurred_at or stamp.clock()
        starts = session.scheduled_for
        by_discharge = reason is CancellationReason.CLIENT_DISCHARGED
        if when > starts or (when == starts and not by_discharge):
            raise RuleViolation(
                "sessionId" if occurred_at is None else "occurredAt",
                "cancelled-before-start",
                f"session {session_id} began {session.scheduled_for.isoformat()}; a session"
                " is cancelled before it begins: record its outcome with recordAttendance"
                " (late_cancelled or no_show)",
            )
        return stamp.event(
            SessionCancelled,
            self.client_id,
            when,
            session_id=session_id,
            modality=session.modality,
            reason=reason,
            note=said(note),
        )

    def record_note(
        self,
        stamp: Stamp,
        session_id: UUID,
        note: str,
        *,
        counseling: bool,
        occurred_at: datetime | None,
        enrolled_at: datetime | None,
    ) -> None:
        """A session note, or with ``counseling`` a SUD counseling note (restricted kind)."""
        if not visible(note):
            raise InvalidInput(
                "note",
                "note-text",
                "a note holds text to read, not only spaces or invisible characters",
            )
        self._happened(stamp, occurred_at, enrolled_at, self.session(session_id))
        cls = CounselingNoteRecorded if counseling else SessionNoteRecorded
        self.record(
            stamp.event(cls, self.client_id, occurred_at, session_id=session_id, note=note.strip())
        )

    def note_in_error(
        self, stamp: Stamp, note_id: UUID, reason: str
    ) -> SessionNoteEnteredInError | CounselingNoteEnteredInError:
        """The event marking a note entered in error, validated but not yet recorded: a
        note of this client's, not marked already, with a reason. A counseling note is its
        author's alone (``policy.ON_CARE_TEAM``): unknown to anyone else (``concealed.py``)."""
        note = self.notes.get(note_id)
        if note is None or (note.counseling and note.author != stamp.actor.id):
            raise NotFound(
                "noteId", "unknown-note", f"client {self.client_id} has no note {note_id}"
            )
        if note.in_error:
            raise RuleViolation(
                "noteId", "note-in-error", f"note {note_id} is already marked entered in error"
            )
        if not visible(reason):
            raise InvalidInput("reason", "reason-required", "say why the note is in error")
        cls: type[SessionNoteEnteredInError | CounselingNoteEnteredInError] = (
            CounselingNoteEnteredInError if note.counseling else SessionNoteEnteredInError
        )
        return stamp.event(
            cls,
            self.client_id,
            None,
            session_id=note.session_id,
            note_id=note_id,
            reason=reason.strip(),
        )

    def _happened(
        self,
        stamp: Stamp,
        occurred_at: datetime | None,
        enrolled_at: datetime | None,
        session: Session | None = None,
    ) -> None:
        """Refuse a time given for what is recorded that is in the future (beyond the
        tolerance), about a ``session`` before it was open (a cancellation or a note dated
        decades before its booking was kept), or before the client's enrolment."""
        plausible("occurredAt", occurred_at, now=stamp.clock(), enrolled_at=None)
        if occurred_at is None:
            return
        if session is not None and occurred_at < session.opened:
            raise RuleViolation(
                "occurredAt",
                "before-booking",
                f"the session was booked {session.booked_at.isoformat(timespec='minutes')} to"
                f" begin {session.scheduled_for.isoformat(timespec='minutes')}; what is recorded"
                " about it is dated from the earlier of the two on",
            )
        self._since_enrolment("occurredAt", occurred_at, enrolled_at)

    def _since_enrolment(self, field: str, moment: datetime, enrolled_at: datetime | None) -> None:
        """Refuse a time before this client's enrolment, naming them: a group booking is
        refused for the one member enrolled after it."""
        after_enrolment(field, moment, enrolled_at, f"client {self.client_id}'s")

    def last_held(self) -> datetime | None:
        """When the latest session recorded attended or a no-show began: a discharge dated
        before it would leave it held for a client out of treatment."""
        return max(
            (s.scheduled_for for s in self.sessions.values() if s.outcome in HAPPENED),
            default=None,
        )

    def session(self, session_id: UUID) -> Session:
        found = self.sessions.get(session_id)
        if found is None:
            raise self.unknown(session_id)
        return found

    def unknown(self, session_id: UUID) -> NotFound:
        """The refusal of a session id the client has none of (``concealed.py``: also of
        one the caller may not read of)."""
        return NotFound(
            "sessionId", "unknown-session", f"client {self.client_id} has no session {session_id}"
        )


def _without_outcome(session_id: UUID, session: Session, client_id: UUID, then: str) -> None:
    """Refuse a second outcome (or a cancellation) of a session cancelled or recorded
    already; ``then`` says what the client of the API may do instead."""
    _not_cancelled(session_id, session)
    if session.outcome is not Outcome.SCHEDULED:
        raise RuleViolation(
            "sessionId",
            "outcome-recorded",
            f"session {session_id} is already recorded as {session.outcome.value} for"
            f" client {client_id}; {then}",
        )


def _not_cancelled(session_id: UUID, session: Session) -> None:
    """Refuse anything more about a session cancelled before it began: nobody was expected."""
    if session.cancelled:
        raise RuleViolation(
            "sessionId",
            "session-cancelled",
            f"session {session_id} was cancelled before it began; book another session",
        )


def _may_be(stamp: Stamp, session_id: UUID, session: Session, told: Told) -> None:
    """Refuse an outcome the session cannot have had: none, one of a session not yet begun,
    an attended one without its length, another with one."""
    outcome, duration = told.outcome, told.duration_minutes
    if outcome is Outcome.SCHEDULED:
        raise InvalidInput(
            "outcome", "outcome-required", "record attended, late_cancelled or no_show"
        )
    starts = session.scheduled_for
    if outcome in HAPPENED and stamp.clock() < starts:
        raise RuleViolation(
            "outcome",
            "session-not-started",
            f"session {session_id} starts at {starts.isoformat()}; record"
            f" {outcome.value} once it has begun (a cancellation now is late_cancelled)",
        )
    if outcome is Outcome.ATTENDED and duration is None:
        raise InvalidInput(
            "durationMinutes", "duration-required", "an attended session needs its length"
        )
    if outcome is not Outcome.ATTENDED and duration is not None:
        raise InvalidInput(
            "durationMinutes", "duration-unexpected", "only an attended session has a length"
        )
    if duration is not None:
        _run_by_now(stamp, session_id, Slot(starts, duration))


def _run_by_now(stamp: Stamp, session_id: UUID, attended: Slot) -> None:
    """Refuse minutes attended that run past now (beyond the clock tolerance, as any time
    recorded): a session recorded while it ran was kept with minutes it had not yet run."""
    now = stamp.clock()
    if attended.ends > now + CLOCK_TOLERANCE:
        raise InvalidInput(
            "durationMinutes",
            IN_FUTURE,
            f"session {session_id} began {attended.starts.isoformat(timespec='minutes')};"
            f" {attended.minutes} minutes from then end after now"
            f" ({now.isoformat(timespec='minutes')}): record the minutes it has run, at most"
            f" {CLOCK_TOLERANCE.seconds // 60} past now",
        )
