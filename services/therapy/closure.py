"""A program closed for a day or some hours (weather, an emergency, a holiday): every session
of its clients beginning then and not yet begun is cancelled, reason ``program_closure``, by
its admin, who reads no therapy entries and so names no session.

The closure is declared on the program's record first (``ProgramClosureDeclared``): from
then on a booking of the program's clients to begin in the span is refused
(``program-closed``; ``refuse_closed``), read from that record in the booking's own unit of
work, which fails as a conflict at commit if the record moved since (``decided_on.py``), so
no read model's lag and no other API process decides it. A booking committed before the
declaration is in its clients' records when the cancellations, run after it, read them, and
is cancelled; one committed after it read the declaration, or conflicted and read it when
decided again, and is refused. Either way a booking sent during a closure ends cancelled
or refused, never booked in the span.

One transaction a client (``cancel_within``), not one for the program: a program of 1,000
clients all or nothing held the command writer for the whole of it, and one write to any of
its clients' records from another API process made it all be decided again, until it gave
up (``concurrent-writes``) having cancelled nothing. A group session is cancelled whole in
the transaction of the first member reached, its members being of one program. Each client's
decision is read from their records as they stand, so a closure cut short is sent again and
cancels what is left, and nothing twice; its span stays declared meanwhile. The closure is
recorded on the program's record last (``ProgramClosed``, with how many it cancelled), in
the transaction that keeps the request's ``Idempotency-Key``; sent again once done, it
records nothing more.

A closure declared in error (the wrong day, a storm that passed) is lifted by its admin
(``lift_closure``): bookings in its span are taken again from then on. What it cancelled
stays cancelled, each a fact of its client's record; the sessions are booked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.bounds import said, text_problem, visible
from carecoord.events.therapy import (
    CLOSURE_NOTE_MAX,
    CancellationReason,
    ProgramClosed,
    ProgramClosureDeclared,
    ProgramClosureLifted,
    calendar_id,
    program_id,
)
from carecoord.services.care.record import ClientRecord
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.errors import DomainError, InvalidInput, RuleViolation, Unavailable
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.therapy.calendar import Calendar
from carecoord.services.therapy.record import BOOKING_HORIZON, TherapyRecord

LONGEST_CLOSURE = timedelta(days=7)
"""A closure's longest span: a program closed longer is wound down, not closed (a typo of a
month for a day cancelled a month of sessions)."""

Cancelled = frozenset[tuple[UUID, UUID]]
"""The sessions a closure cancelled, as (session id, client id)."""


@dataclass(frozen=True, slots=True)
class Span:
    """When the program is closed: sessions beginning from ``starts`` and before ``ends``."""

    starts: datetime
    ends: datetime

    def holds(self, moment: datetime) -> bool:
        return self.starts <= moment < self.ends


@dataclass(frozen=True, slots=True)
class Closure:
    """What a closure answers: its record's id and how many sessions and clients it
    cancelled (which, it does not say)."""

    id: UUID
    sessions: int
    clients: int


def closure_span(stamp: Stamp, starts: datetime, ends: datetime, note: str) -> Span:
    """The span ``from``-``until`` as a closure takes it, refused naming the field: an end
    not after the start, a span longer than ``LONGEST_CLOSURE``, one over by now (no session
    in it is cancelled any longer), one past the booking horizon (none is booked then), or a
    note no event could carry."""
    now = stamp.clock()
    if ends <= starts:
        raise InvalidInput(
            "until",
            "until-after-from",
            f"until ({ends.isoformat(timespec='minutes')}) must be after from"
            f" ({starts.isoformat(timespec='minutes')})",
        )
    if ends - starts > LONGEST_CLOSURE:
        raise InvalidInput(
            "until",
            "closure-span",
            f"a closure spans at most {LONGEST_CLOSURE.days} days; close each week apart",
        )
    if ends <= now:
        raise InvalidInput(
            "until",
            "closure-over",
            f"until {ends.isoformat(timespec='minutes')} is past; a session is cancelled"
            " before it begins, so a closure ends after now",
        )
    if starts > now + BOOKING_HORIZON:
        raise InvalidInput(
            "from",
            "booking-horizon",
            f"no session is booked more than {BOOKING_HORIZON.days} days ahead",
        )
    problem = text_problem(note, CLOSURE_NOTE_MAX)
    if problem is not None:
        raise InvalidInput("note", "closure-note", f"note {problem}")
    return Span(starts, ends)


def cancel_within(
    stamp: Stamp, *, client_id: UUID, program: str, span: Span, note: str
) -> Command[Cancelled]:
    """Cancel each session of the client beginning in ``span`` and not yet begun, booked
    still (as ``cancelSession`` would: strictly before its start), a group's for each of
    its members still booked; none of a client no longer in ``program``. Finding none is
    checked on the records as stored (``check_nothing``): a booking another process made
    just before the closure was declared is cancelled, not missed on a cached record."""

    def run(uow: UnitOfWork) -> Cancelled:
        uow.check_nothing()
        done: set[tuple[UUID, UUID]] = set()
        if uow.get(ClientRecord, client_id).program != program:
            return frozenset()
        record = uow.get(TherapyRecord, client_id)
        now = stamp.clock()
        for session_id, session in list(record.sessions.items()):
            if session.open and span.holds(session.scheduled_for) and now < session.scheduled_for:
                led = uow.get(Calendar, calendar_id(session.clinician_id)).sessions.get(session_id)
                members = (client_id,) if led is None else led.client_ids
                for member in members:
                    if _cancel(uow, stamp, member, session_id, (program, note)):
                        done.add((session_id, member))
        return frozenset(done)

    return run


def _cancel(
    uow: UnitOfWork, stamp: Stamp, client_id: UUID, session_id: UUID, closed: tuple[str, str]
) -> bool:
    """Cancel the member's session for the closure if still booked and in the program."""
    program, note = closed
    client = uow.get(ClientRecord, client_id)
    record = uow.get(TherapyRecord, client_id)
    session = record.sessions.get(session_id)
    if client.program != program or session is None or not session.open:
        return False
    reason = CancellationReason.PROGRAM_CLOSURE
    record.record(
        record.cancel(stamp, session_id, reason, note, None, enrolled_at=client.enrolled_at)
    )
    return True


def settled(decided: Sequence[Cancelled | BaseException]) -> Cancelled:
    """What the clients' transactions cancelled (``decided``: each one's, or its refusal),
    or, if any was refused, the refusal of the closure, not recorded: the others' sessions
    are cancelled, and sent again it cancels what is left. Only the first refusal's rule is
    said: its message could name a session to an admin who reads no therapy."""
    refused = [d for d in decided if isinstance(d, BaseException)]
    for failure in refused:
        if not isinstance(failure, DomainError):
            raise failure
    first = next((d for d in decided if isinstance(d, DomainError)), None)
    if first is not None:
        raise Unavailable(
            "program",
            "closure-cut-short",
            f"the sessions of {len(refused)} of {len(decided)} clients were not cancelled"
            f" ({first.rule}); the others' are, and the closure is not recorded: send it"
            " again, it cancels what is left and nothing twice",
        )
    return frozenset().union(*(d for d in decided if not isinstance(d, BaseException)))


def key_taken(cancelled: Cancelled) -> Unavailable:
    """The refusal of a closure whose Idempotency-Key another request, sent at the same time,
    was kept under first: it said nothing was recorded, and the sessions it had cancelled
    stayed cancelled with no closure on record to say why."""
    clients = len({client_id for _, client_id in cancelled})
    return Unavailable(
        "Idempotency-Key",
        "idempotency-key-reused",
        f"another request was sent with this Idempotency-Key at the same time: the sessions"
        f" of {clients} clients are cancelled, and the closure is not recorded; send it again"
        " with a new key, it cancels what is left and nothing twice",
    )


class ProgramRecord(Aggregate, context="therapy"):
    """A program's closures (``program_id(program)``): each span declared, and each
    recorded once done."""

    def __init__(self, program: UUID) -> None:
        super().__init__(program)
        self.closures: dict[tuple[datetime, datetime], UUID] = {}
        self.declared: dict[Span, Span] = {}
        """Each span declared (or, for a closure recorded before closures were declared,
        recorded), to the part of it closed: from when it was first declared on, since a
        session that had begun by then was not cancelled and took place."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, ProgramClosureDeclared | ProgramClosed):
            span = Span(event.closed_from, event.closed_until)
            closed = Span(max(span.starts, event.occurred_at), span.ends)
            self.declared.setdefault(span, closed)
        if isinstance(event, ProgramClosed):
            self.closures[(event.closed_from, event.closed_until)] = event.event_id
        if isinstance(event, ProgramClosureLifted):
            self.declared.pop(Span(event.closed_from, event.closed_until), None)
            self.closures.pop((event.closed_from, event.closed_until), None)

    def closed_at(self, moment: datetime) -> Span | None:
        """The part closed of a span declared that ``moment`` is in (the earliest), if any."""
        spans = (span for span in self.declared.values() if span.holds(moment))
        return min(spans, default=None, key=lambda span: span.starts)


def refuse_closed(uow: UnitOfWork, program: str, scheduled_for: datetime) -> None:
    """Refuse a session of ``program``'s clients to begin while it is closed (a closure
    declared, done or not): the closure would have cancelled it, and one booked once its
    cancellations ran was kept in a closed program. A session entered late that began in
    the span before the closure was declared is booked: it was not cancelled, and took
    place. Read in the booking's unit of work, so its commit checks the record unchanged
    (module docstring)."""
    closed = uow.get(ProgramRecord, program_id(program)).closed_at(scheduled_for)
    if closed is not None:
        raise RuleViolation(
            "scheduledFor",
            "program-closed",
            f"the program is closed from {closed.starts.isoformat(timespec='minutes')} until"
            f" {closed.ends.isoformat(timespec='minutes')}; book a session beginning before"
            " or after",
        )


def declare_closure(stamp: Stamp, *, program: str, span: Span) -> Command[None]:
    """Declare the closure on the program's record before cancelling anything; a span
    declared already (sent again, or cut short) records nothing."""

    def run(uow: UnitOfWork) -> None:
        record = uow.get(ProgramRecord, program_id(program))
        if span in record.declared:
            return
        record.record(
            stamp.event(
                ProgramClosureDeclared,
                record.client_id,
                None,
                program=program,
                closed_from=span.starts,
                closed_until=span.ends,
            )
        )

    return run


def record_closure(
    stamp: Stamp, *, program: str, span: Span, note: str, cancelled: Cancelled
) -> Command[Closure]:
    """Record the closure on the program's record with what it cancelled; a span recorded
    already, sent again with nothing left to cancel, records nothing."""
    sessions = len({session_id for session_id, _ in cancelled})
    clients = len({client_id for _, client_id in cancelled})

    def run(uow: UnitOfWork) -> Closure:
        record = uow.get(ProgramRecord, program_id(program))
        known = record.closures.get((span.starts, span.ends))
        if known is not None and not cancelled:
            return Closure(known, 0, 0)
        event = stamp.event(
            ProgramClosed,
            record.client_id,
            None,
            program=program,
            closed_from=span.starts,
            closed_until=span.ends,
            note=said(note),
            sessions_cancelled=sessions,
            clients_cancelled=clients,
        )
        record.record(event)
        return Closure(event.event_id, sessions, clients)

    return run


def lift_closure(stamp: Stamp, *, program: str, span: Span, reason: str) -> Command[UUID]:
    """Lift the closure of ``span`` declared in error (``reason``: why): from then on a
    session is booked in it again (``refuse_closed`` no longer reads it), and closing the
    span again declares it anew. Refused naming the field: a reason that shows nothing or
    that no event could carry, and a span no closure in force was declared for (``from``
    and ``until`` as the closure was sent)."""
    problem = text_problem(reason, CLOSURE_NOTE_MAX)
    if problem is None and not visible(reason):
        problem = "shows nothing; say why the closure is lifted"
    if problem is not None:
        raise InvalidInput("reason", "lift-reason", f"reason {problem}")

    def run(uow: UnitOfWork) -> UUID:
        record = uow.get(ProgramRecord, program_id(program))
        if span not in record.declared:
            raise RuleViolation(
                "from",
                "closure-unknown",
                f"no closure of the program from {span.starts.isoformat(timespec='minutes')}"
                f" until {span.ends.isoformat(timespec='minutes')} is in force; give from and"
                " until as the closure was sent",
            )
        event = stamp.event(
            ProgramClosureLifted,
            record.client_id,
            None,
            program=program,
            closed_from=span.starts,
            closed_until=span.ends,
            reason=reason.strip(),
        )
        record.record(event)
        return event.event_id

    return run
