"""Two processes: a decision one takes on a record the other has changed since it read it
is not committed as taken; the batch runs again on the record as stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from carecoord.events import Actor, Role
from carecoord.events.therapy import Modality, SessionFormat, SessionScheduled
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member, end_membership
from carecoord.services.infrastructure.commands import CommandBus
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
