"""Two processes: a decision one takes on a record the other has changed since it read it
is not committed as taken; the batch runs again on the record as stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.events import Actor, Role
from carecoord.events.therapy import Modality, SessionFormat, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member, end_membership
from carecoord.services.infrastructure.commands import CommandBus, Outcome
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.therapy.commands import schedule_session

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
THERAPIST = Stamp(Actor(id="ther-1", role=Role.THERAPIST))


@pytest.fixture
def buses(two_stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    """Two API processes' writers, neither hearing the other's writes (as in the moment
    between a write and its NOTIFY): each decides on its own cached records."""
    pair = CommandBus(two_stores[0]), CommandBus(two_stores[1])
    yield pair
    for bus in pair:
        bus.close()


def booking(client_id: uuid.UUID, days: int) -> Command[uuid.UUID]:
    return schedule_session(
        THERAPIST,
        client_ids=[client_id],
        modality=Modality.CBT,
        format=SessionFormat.INDIVIDUAL,
        scheduled_for=datetime.now(UTC).replace(microsecond=0) + timedelta(days=days),
        planned_minutes=50,
    )


def sessions_booked(store: EventStore, client_id: uuid.UUID) -> int:
    return sum(
        isinstance(item.event, SessionScheduled) and item.event.client_id == client_id
        for item in store.read(0, 1000)
    )


def test_a_booking_on_a_team_changed_in_another_process_is_decided_again(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    """The booking reads the care team and writes the therapy record: the membership ended
    in the other process is seen, and the booking refused, not stored."""
    here, there = buses
    client_id = here.execute_sync(enroll_client(ADMIN, display_name="Ana", program="OTP")).result
    here.execute_sync(
        assign_member(ADMIN, client_id=client_id, member_id="ther-1", role=Role.THERAPIST)
    )
    here.execute_sync(booking(client_id, days=2))  # the team is in this process's cache
    there.execute_sync(
        end_membership(ADMIN, client_id=client_id, member_id="ther-1", reason="left the program")
    )

    with pytest.raises(RuleViolation, match=r"not on client .* care team"):
        here.execute_sync(booking(client_id, days=3))
    assert here.conflicts == 1
    assert sessions_booked(two_stores[0], client_id) == 1


def test_records_read_and_unchanged_cost_no_conflict(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    """What the other process wrote elsewhere (another client's team) leaves this one's
    bookings alone: they commit at once."""
    here, there = buses
    ana, ben = (
        here.execute_sync(enroll_client(ADMIN, display_name=name, program="OTP")).result
        for name in ("Ana", "Ben")
    )
    for client_id in (ana, ben):
        here.execute_sync(
            assign_member(ADMIN, client_id=client_id, member_id="ther-1", role=Role.THERAPIST)
        )
    there.execute_sync(
        end_membership(ADMIN, client_id=ben, member_id="ther-1", reason="left the program")
    )

    for days in (2, 3, 4):
        here.execute_sync(booking(ana, days=days))
    assert here.conflicts == 0
    assert sessions_booked(two_stores[0], ana) == 3


def clients_of_ther_1(bus: CommandBus, count: int) -> list[uuid.UUID]:
    found = []
    for _ in range(count):
        client_id = bus.execute_sync(enroll_client(ADMIN, display_name="A", program="OTP")).result
        bus.execute_sync(
            assign_member(ADMIN, client_id=client_id, member_id="ther-1", role=Role.THERAPIST)
        )
        found.append(client_id)
    return found


def all_booked(store: EventStore) -> int:
    return sum(isinstance(item.event, SessionScheduled) for item in store.read(0, 1000))


def test_a_booking_on_a_calendar_written_in_another_process_is_decided_again(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    """ther-1's calendar, cached here, was written there since (another client booked for
    the time): the booking here conflicts, runs again on the calendar as stored, and is
    refused; no read model decides it."""
    here, there = buses
    ana, ben, cy = clients_of_ther_1(here, 3)
    here.execute_sync(booking(ana, days=2))
    there.execute_sync(booking(ben, days=3))

    with pytest.raises(RuleViolation) as refused:
        here.execute_sync(booking(cy, days=3))
    assert (refused.value.field, refused.value.rule) == ("scheduledFor", "therapist-booked-then")
    assert here.conflicts == 1
    assert all_booked(two_stores[0]) == 2


def refusal(sent: Future[Outcome[Any]]) -> str:
    failure = sent.exception(timeout=30)
    assert isinstance(failure, RuleViolation), failure
    return failure.rule


@pytest.mark.parametrize("processes", [1, 2])
def test_bookings_of_one_therapist_sent_at_once_book_one(
    processes: int,
    buses: tuple[CommandBus, CommandBus],
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """Eight bookings of ther-1 for one time, each for another client, submitted together to
    one process's writer or spread over two: one is stored, the others are refused."""
    members = clients_of_ther_1(buses[0], 8)
    sent = [buses[n % processes].submit(booking(c, days=2)) for n, c in enumerate(members)]
    kept = [f for f in sent if f.exception(timeout=30) is None]
    assert len(kept) == 1
    assert {refusal(f) for f in sent if f not in kept} == {"therapist-booked-then"}
    assert all_booked(two_stores[0]) == 1
