"""Commands on therapy sessions. A group session touches every member's record in one
transaction: either every member is booked (or has their attendance recorded), or none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar
from uuid import UUID, uuid4

from carecoord.events import Actor, CareEvent, Kind, Role
from carecoord.events.bounds import said
from carecoord.events.therapy import (
    CancellationReason,
    Modality,
    SessionCancelled,
    SessionFormat,
    SessionScheduled,
    calendar_id,
)
from carecoord.services.alerts.raising import with_alerts
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.care.record import ClientRecord
from carecoord.services.careteam.team import CareTeam
from carecoord.services.kernel.concealed import refuse_unseen
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.platform_ids import SYSTEM
from carecoord.services.kernel.policy import writer_sees
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.therapy.calendar import Calendar, Led
from carecoord.services.therapy.closure import refuse_closed
from carecoord.services.therapy.leaders import clinician_named, require_leader
from carecoord.services.therapy.record import (
    HAPPENED,
    THEN_CORRECT,
    Booking,
    Outcome,
    TherapyRecord,
    Told,
    takes_back_time,
)

MAX_GROUP = 100
E = TypeVar("E", bound=CareEvent)


def _distinct(client_ids: Sequence[UUID], field: str) -> None:
    if not client_ids:
        raise InvalidInput(field, "no-clients", "name at least one client")
    if len(set(client_ids)) != len(client_ids):
        raise InvalidInput(field, "duplicate-client", "each client appears once")
    if len(client_ids) > MAX_GROUP:
        raise InvalidInput(field, "group-too-large", f"at most {MAX_GROUP} clients per session")


def _told_of_someone(
    attendance: Sequence[tuple[UUID, Outcome]], duration_minutes: int | None, reason: str
) -> None:
    """Refuse a length when no one attended, and a reason when no one late-cancelled: either
    was dropped without a word, and the clinician believed it recorded. A reason is one
    client's, so it is refused when several late-cancelled: each would keep it on their record,
    where a group member read why another cancelled."""
    outcomes = {outcome for _, outcome in attendance}
    cancelled = sum(outcome is Outcome.LATE_CANCELLED for _, outcome in attendance)
    if duration_minutes is not None and Outcome.ATTENDED not in outcomes:
        raise InvalidInput(
            "durationMinutes",
            "duration-unexpected",
            "only an attended session has a length, and no one here attended",
        )
    if said(reason) and Outcome.LATE_CANCELLED not in outcomes:
        raise InvalidInput(
            "reason",
            "reason-unexpected",
            "a reason is kept for a late cancellation, and no one here late-cancelled",
        )
    if said(reason) and cancelled > 1:
        raise InvalidInput(
            "reason",
            "reason-of-one-client",
            f"a reason says why one client late-cancelled, and {cancelled} here did: record"
            " each late cancellation with its reason in an attendance naming that client alone",
        )


def _record(uow: UnitOfWork, client_id: UUID) -> tuple[TherapyRecord, datetime | None]:
    """The client's therapy record and when they were enrolled: nothing in it is booked for
    or dated before that."""
    client = uow.get(ClientRecord, client_id)
    client.require_enrolled()
    return uow.get(TherapyRecord, client_id), client.enrolled_at


def _in_treatment_then(
    uow: UnitOfWork, record: TherapyRecord, session_id: UUID, told: Told
) -> None:
    """Refuse attended or no-show for a session that began while the client was discharged
    (its cancellation by the discharge corrected, or one left from before discharges
    cancelled them): no one was expected there, and a no-show would count toward the
    no-show alert."""
    if told.outcome in HAPPENED:
        began = record.session(session_id).scheduled_for
        uow.get(ClientRecord, record.client_id).require_in_treatment("sessionId", began)


def _one_program(uow: UnitOfWork, client_ids: Sequence[UUID]) -> str:
    """The members' program; refuse a group whose members are enrolled in different
    programs: each program's clients are its own under Part 2, and a shared session tells
    each of the others."""
    first = uow.get(ClientRecord, client_ids[0]).program
    for client_id in client_ids[1:]:
        if uow.get(ClientRecord, client_id).program != first:
            raise RuleViolation(
                "clientIds",
                "same-program",
                f"client {client_id} is enrolled in another program than client"
                f" {client_ids[0]}; a session's members are of one program",
            )
    return first


def schedule_session(
    stamp: Stamp,
    *,
    client_ids: Sequence[UUID],
    modality: Modality,
    format: SessionFormat,
    scheduled_for: datetime,
    planned_minutes: int,
    clinician_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    """Book a session led by ``clinician_id`` (whoever books it, if None): a therapist or
    prescriber on every member's care team (``leaders``), not to begin while the members'
    program is closed (``closure.refuse_closed``)."""
    session_id = uuid4()
    _distinct(client_ids, "clientIds")
    if format is SessionFormat.INDIVIDUAL and len(client_ids) > 1:
        raise InvalidInput(
            "clientIds", "individual-session", "an individual session has one client"
        )
    if format is SessionFormat.INDIVIDUAL and modality is Modality.GROUP:
        raise InvalidInput(
            "modality",
            "individual-session",
            "group therapy is a group session: book it with format GROUP, or an individual"
            " session with the modality it uses",
        )
    booking = Booking(
        session_id,
        modality,
        format,
        clinician_named(clinician_id, stamp.actor.id),
        scheduled_for,
        planned_minutes,
        len(client_ids),
    )

    def run(uow: UnitOfWork) -> UUID:
        # The calendar is stored first: the members' bookings are the command's last events,
        # so the position it answers with is theirs.
        calendar = uow.get(Calendar, calendar_id(booking.clinician_id))
        records = [_record(uow, client_id) for client_id in client_ids]
        for client_id in client_ids:  # a discharged client is booked once readmitted
            client = uow.get(ClientRecord, client_id)
            client.require_in_treatment(
                "clientIds" if occurred_at is None else "occurredAt", occurred_at or stamp.clock()
            )
            # nor for a time they were out of treatment, which no outcome could be told of
            client.require_in_treatment("scheduledFor", scheduled_for)
        refuse_closed(uow, _one_program(uow, client_ids), scheduled_for)
        for client_id in client_ids:
            require_leader(uow.get(CareTeam, client_id), booking.clinician_id)
        decided = [
            (record, record.schedule(stamp, booking, occurred_at, enrolled_at=enrolled_at))
            for record, enrolled_at in records
        ]
        calendar.book(stamp, booking, client_ids, occurred_at, partial(_holds, uow))
        for record, event in decided:
            record.record(event)
        return session_id

    return run


PLATFORM = Actor(id=SYSTEM, role=Role.SYSTEM)
"""Who puts a session booked before calendars were kept on its leader's calendar."""


def booked_before_calendars(members: Sequence[SessionScheduled]) -> Command[bool]:
    """Put a session booked before calendars were kept (``members``: its booking of each
    member) on its leader's calendar, as the platform, in its booking's correlation and
    caused by its first member's; True when this recorded it, False when it was there."""
    first = members[0]
    booking = Booking(
        first.session_id,
        first.modality,
        first.format,
        first.clinician_id.strip(),
        first.scheduled_for,
        first.planned_minutes,
        first.group_size,
    )
    stamp = Stamp(PLATFORM, correlation_id=first.correlation_id, causation_id=first.event_id)

    def run(uow: UnitOfWork) -> bool:
        calendar = uow.get(Calendar, calendar_id(booking.clinician_id))
        client_ids = [member.client_id for member in members]
        return calendar.booked_before(stamp, booking, client_ids, first.occurred_at)

    return run


REASON_OF_DISCHARGE = "reason-of-discharge"
"""A cancellation by hand naming the discharge's reason, which only a discharge records."""
CLOSURE_ONLY = "closure-only"
"""A program admin's cancellation for another reason than the program's closure."""


def _cancellable_for(stamp: Stamp, reason: CancellationReason) -> None:
    """Refuse the reason ``client_discharged``, the discharge's own (``care/discharge.py``):
    given by hand, it read as a discharge of a client in treatment. Refuse a program admin
    any reason but ``program_closure``: a program closing (weather, an emergency) is their
    call, a client's request or a clinician's absence the booking clinicians'."""
    if reason is CancellationReason.CLIENT_DISCHARGED:
        raise InvalidInput(
            "reason",
            REASON_OF_DISCHARGE,
            "CLIENT_DISCHARGED is recorded by the discharge itself; give the reason the"
            " session is cancelled for",
        )
    if stamp.actor.role is Role.PROGRAM_ADMIN and reason is not CancellationReason.PROGRAM_CLOSURE:
        raise Forbidden(
            "reason",
            CLOSURE_ONLY,
            "a program admin cancels a session for the program's closure (PROGRAM_CLOSURE);"
            " for another reason, its prescriber, nurse or therapist cancels it",
        )


def _cancelled(
    uow: UnitOfWork,
    stamp: Stamp,
    client_id: UUID,
    session_id: UUID,
    said_of: tuple[CancellationReason, str, datetime | None],
) -> tuple[TherapyRecord, SessionCancelled]:
    """The client's record and its cancellation of the session, validated, not yet recorded
    (``said_of``: the reason, note and time given). A caller who reads no therapy entries
    (a program admin) is refused a session they could not cancel as an unknown one: that it
    is cancelled, has an outcome or began would tell them of it (``concealed.py``)."""
    reason, note, occurred_at = said_of
    record, enrolled_at = _record(uow, client_id)
    try:
        event = record.cancel(stamp, session_id, reason, note, occurred_at, enrolled_at=enrolled_at)
    except RuleViolation:
        refuse_unseen(stamp.actor, Kind.THERAPY, record.unknown(session_id))
        raise
    return record, event


def cancel_session(
    stamp: Stamp,
    *,
    client_id: UUID,
    session_id: UUID,
    reason: CancellationReason,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    """Cancel the client's session before it begins: their time is free, and its leader's
    once every member's is (``_holds``); no outcome, so no alert rule reads it."""
    _cancellable_for(stamp, reason)

    def run(uow: UnitOfWork) -> UUID:
        record, event = _cancelled(uow, stamp, client_id, session_id, (reason, note, occurred_at))
        record.record(event)
        return session_id

    return run


def cancel_group_session(
    stamp: Stamp,
    *,
    session_id: UUID,
    client_ids: Sequence[UUID],
    reason: CancellationReason,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    """Cancel a group session, one meeting, for every member still booked on it (``client_ids``
    names each), in one transaction: every member's session reads cancelled with the reason,
    and its leader's time is free; or none does."""
    _distinct(client_ids, "clientIds")
    _cancellable_for(stamp, reason)
    told = (reason, note, occurred_at)

    def run(uow: UnitOfWork) -> UUID:
        records = [_record(uow, client_id)[0] for client_id in client_ids]
        _members_booked(uow, stamp, session_id, records, "clientIds.{n}")
        decided = [_cancelled(uow, stamp, c, session_id, told) for c in client_ids]
        _every_member(uow, stamp, session_id, decided[0][0], client_ids)
        for record, event in decided:
            record.record(event)
        return session_id

    return run


def _every_member(
    uow: UnitOfWork,
    stamp: Stamp,
    session_id: UUID,
    record: TherapyRecord,
    client_ids: Sequence[UUID],
) -> None:
    """Refuse a group's cancellation that leaves a member booked on it (its leader's
    calendar lists them): the meeting would still hold its leader's time. A member is named
    only to a caller who reads therapy on their care team (``_named``)."""
    leader = record.session(session_id).clinician_id
    led = uow.get(Calendar, calendar_id(leader)).sessions.get(session_id)
    members = () if led is None else led.client_ids
    left = [
        member
        for member in members
        if member not in client_ids and uow.get(TherapyRecord, member).session(session_id).open
    ]
    if left:
        named = [str(member) for member in left if _named(uow, stamp.actor, member)]
        whom = ", ".join(named + (["others"] if len(named) < len(left) else []))
        raise RuleViolation(
            "clientIds",
            "every-member",
            f"session {session_id} is booked for {whom} too; name every member still booked"
            " to cancel the meeting, or cancel one member's session with cancelSession",
        )


def _named(uow: UnitOfWork, actor: Actor, member: UUID) -> bool:
    """Whether a group's member may be named to ``actor``: who else is in a group tells who
    is in SUD treatment, which a member's timeline tells no one (it gives the group's size),
    so only a caller on that member's care team, in a role that reads therapy, is told."""
    membership = uow.get(CareTeam, member).members.get(actor.id)
    on_team = membership is not None and membership.role is actor.role
    return on_team and Kind.THERAPY in writer_sees(actor.role)


def _holds(uow: UnitOfWork, session_id: UUID, led: Led) -> bool:
    """Whether a session on a calendar still holds its time: while any member's record holds
    it (read from the records, which a late cancellation since conflicts with)."""
    return any(
        uow.get(TherapyRecord, client_id).session(session_id).held for client_id in led.client_ids
    )


def record_attendance(
    stamp: Stamp,
    *,
    session_id: UUID,
    attendance: Sequence[tuple[UUID, Outcome]],
    duration_minutes: int | None = None,
    reason: str = "",
    occurred_at: datetime | None = None,
    rules: AlertRules,
) -> Command[UUID]:
    """How the session went for each client; attended clients share ``duration_minutes``."""
    _distinct([client_id for client_id, _ in attendance], "attendance")
    _told_of_someone(attendance, duration_minutes, reason)

    def run(uow: UnitOfWork) -> UUID:
        records = [_record(uow, client_id) for client_id, _ in attendance]
        members = [record for record, _ in records]
        _members_booked(uow, stamp, session_id, members, "attendance.{n}.clientId")
        decided = []
        for (record, enrolled_at), (_, outcome) in zip(records, attendance, strict=True):
            told = Told(outcome, duration_minutes if outcome is Outcome.ATTENDED else None, reason)
            _in_treatment_then(uow, record, session_id, told)
            event = record.outcome(stamp, session_id, told, occurred_at, enrolled_at=enrolled_at)
            decided.append((record, event))
        for record, event in decided:
            with_alerts(uow, record.client_id, rules, partial(_kept, record, event))
        return session_id

    return run


def _members_booked(
    uow: UnitOfWork,
    stamp: Stamp,
    session_id: UUID,
    records: Sequence[TherapyRecord],
    field: str,
) -> None:
    """Refuse a client named who is not booked on a session that is known (another client
    named is booked on it, or the writer leads it), naming their entry (``field``, ``{n}``
    their place): the session is right and that client is not. A session known to neither
    is refused by each record as unknown, naming ``sessionId``; so is it to a writer who
    reads no therapy (a program admin cancelling for a closure, ``concealed.py``)."""
    if Kind.THERAPY not in writer_sees(stamp.actor.role):
        return
    known = any(session_id in record.sessions for record in records) or (
        session_id in uow.get(Calendar, calendar_id(stamp.actor.id)).sessions
    )
    for n, record in enumerate(records):
        if known and session_id not in record.sessions:
            raise NotFound(
                field.format(n=n),
                "not-booked",
                f"client {record.client_id} is not booked on session {session_id}; name the"
                " clients booked on it",
            )


def correct_outcome(
    stamp: Stamp,
    *,
    client_id: UUID,
    session_id: UUID,
    outcome: Outcome,
    duration_minutes: int | None = None,
    reason: str,
    rules: AlertRules,
) -> Command[UUID]:
    """Correct an outcome recorded by mistake; the alert rules judge the correction as the
    outcome it sets (a correction to a no-show can complete a run of no-shows)."""

    def run(uow: UnitOfWork) -> UUID:
        record, _ = _record(uow, client_id)
        told = Told(outcome, duration_minutes, reason)
        _in_treatment_then(uow, record, session_id, told)
        event = record.correct_outcome(stamp, session_id, told)
        session = record.session(session_id)
        if takes_back_time(session, outcome):
            # Its leader's time too, which another session of theirs may have taken since.
            uow.get(Calendar, calendar_id(session.clinician_id)).require_free(
                session.clinician_id,
                session.slot,
                partial(_holds, uow),
                "outcome",
                THEN_CORRECT,
                but=session_id,
            )
        with_alerts(uow, client_id, rules, partial(_kept, record, event))
        return session_id

    return run


def mark_note_entered_in_error(
    stamp: Stamp, *, client_id: UUID, note_id: UUID, reason: str
) -> Command[UUID]:
    """Mark a session or counseling note recorded in error: it stays on the record, and
    every view and export shows it marked (``TherapyRecord.note_in_error``)."""

    def run(uow: UnitOfWork) -> UUID:
        record, _ = _record(uow, client_id)
        record.record(record.note_in_error(stamp, note_id, reason))
        return note_id

    return run


def _kept(record: TherapyRecord, event: E) -> E:
    record.record(event)
    return event


def record_session_note(
    stamp: Stamp,
    *,
    client_id: UUID,
    session_id: UUID,
    note: str,
    counseling: bool = False,
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    def run(uow: UnitOfWork) -> UUID:
        record, enrolled_at = _record(uow, client_id)
        record.record_note(
            stamp,
            session_id,
            note,
            counseling=counseling,
            occurred_at=occurred_at,
            enrolled_at=enrolled_at,
        )
        return session_id

    return run
