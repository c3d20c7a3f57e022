"""A booking and a closure of its program in two API processes at once: the booking ends
cancelled by the closure or refused (program-closed), never booked in the closed span.
Each process decides on records it cached before the other wrote them: a booking decided
on the program's record as it was before the closure was declared conflicts when it
commits and, decided again, is refused; a closure finding no session on a client's record
as it was before a booking is checked on the record as stored and cancels it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import pytest

from carecoord.events import Actor, Role
from carecoord.events.therapy import Modality, SessionCancelled, SessionFormat, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.therapy import closure
from carecoord.services.therapy import commands as therapy

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
THERAPIST = Stamp(Actor(id="ther-race", role=Role.THERAPIST))
DAY = timedelta(days=1)
T = TypeVar("T")


@pytest.fixture
def buses(two_stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    pair = CommandBus(two_stores[0]), CommandBus(two_stores[1])
    yield pair
    for bus in pair:
        bus.close()


def days_ahead(days: int) -> closure.Span:
    starts = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return closure.Span(starts + days * DAY, starts + (days + 1) * DAY)


def enrolled(bus: CommandBus) -> UUID:
    now = datetime.now(UTC)
    client_id = bus.execute_sync(
        enroll_client(ADMIN, display_name="Ana", program="OTP", occurred_at=now - 2 * DAY)
    ).result
    bus.execute_sync(
        assign_member(ADMIN, client_id=client_id, member_id="ther-race", role=Role.THERAPIST)
    )
    return client_id


def booking(client_id: UUID, starts: datetime) -> Command[UUID]:
    return therapy.schedule_session(
        THERAPIST, client_ids=[client_id], modality=Modality.CBT,
        format=SessionFormat.INDIVIDUAL, scheduled_for=starts, planned_minutes=50,
    )  # fmt: skip


def book(bus: CommandBus, client_id: UUID, starts: datetime) -> UUID:
    return bus.execute_sync(booking(client_id, starts)).result


def close(bus: CommandBus, clients: list[UUID], span: closure.Span) -> closure.Closure:
    """The closure as the API runs it: declared, each client's transaction, the record."""
    bus.execute_sync(closure.declare_closure(ADMIN, program="OTP", span=span))
    decided = [
        bus.execute_sync(
            closure.cancel_within(ADMIN, client_id=c, program="OTP", span=span, note="")
        ).result
        for c in clients
    ]
    cancelled = closure.settled(decided)
    return bus.execute_sync(
        closure.record_closure(ADMIN, program="OTP", span=span, note="", cancelled=cancelled)
    ).result


def test_a_booking_decided_before_the_closure_was_declared_elsewhere_is_refused(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    here, there = buses
    client_id = enrolled(here)
    close(here, [client_id], days_ahead(5))  # the program's record, cached here
    day = days_ahead(2)
    close(there, [client_id], day)  # declared there: unseen here

    with pytest.raises(RuleViolation) as refusal:
        book(here, client_id, day.starts + timedelta(hours=9))

    assert (refusal.value.field, refusal.value.rule) == ("scheduledFor", "program-closed")
    assert here.conflicts == 1, "decided on the record as cached, then as stored"
    stored = [item.event for item in two_stores[0].read(0, 1000)]
    assert not [e for e in stored if isinstance(e, SessionScheduled)]


def test_a_booking_made_elsewhere_before_the_closure_is_cancelled_by_it(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    here, there = buses
    client_id = enrolled(here)
    day = days_ahead(2)
    close(there, [client_id], days_ahead(5))  # the client's records, cached there
    session_id = book(here, client_id, day.starts + timedelta(hours=9))  # unseen there

    closed = close(there, [client_id], day)

    assert (closed.sessions, closed.clients) == (1, 1)
    stored = [item.event for item in two_stores[0].read(0, 1000)]
    assert [e.session_id for e in stored if isinstance(e, SessionCancelled)] == [session_id]


def after_a_moment(step: Callable[..., T], *args: object) -> T:
    time.sleep(random.uniform(0, 0.004))
    return step(*args)


def test_bookings_sent_while_closures_run_elsewhere_end_cancelled_or_refused(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    """At once, in no set order: each booking sent a moment before, during or after a
    closure of its day runs in the other process."""
    here, there = buses
    client_id = enrolled(here)
    outcomes: list[UUID | BaseException] = []
    with ThreadPoolExecutor(1) as pool:
        for n in range(1, 21):
            day = days_ahead(n)
            closing = pool.submit(after_a_moment, close, there, [client_id], day)
            time.sleep(random.uniform(0, 0.004))
            booked = here.submit(booking(client_id, day.starts + timedelta(hours=9)))
            closing.result()
            outcomes.append(booked.exception() or booked.result().result)

    stored = [item.event for item in two_stores[0].read(0, 10_000)]
    cancelled = {e.session_id for e in stored if isinstance(e, SessionCancelled)}
    for outcome in outcomes:
        if isinstance(outcome, RuleViolation):
            assert outcome.rule == "program-closed"
        else:
            assert outcome in cancelled, outcome
