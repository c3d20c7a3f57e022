"""A late cancellation corrected in one process while another books the freed time of its
leader: one of the two is kept, the other refused, never a therapist in two sessions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from carecoord.events import Actor, Role
from carecoord.events.therapy import Modality, SessionFormat
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
THERAPIST = Stamp(Actor(id="ther-1", role=Role.THERAPIST))


@pytest.fixture
def buses(two_stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    pair = CommandBus(two_stores[0]), CommandBus(two_stores[1])
    yield pair
    for bus in pair:
        bus.close()


def client(bus: CommandBus) -> uuid.UUID:
    enrolled = datetime.now(UTC) - timedelta(days=3)
    client_id = bus.execute_sync(
        enroll_client(ADMIN, display_name="A", program="OTP", occurred_at=enrolled)
    ).result
    bus.execute_sync(
        assign_member(ADMIN, client_id=client_id, member_id="ther-1", role=Role.THERAPIST)
    )
    return client_id


def book(bus: CommandBus, client_id: uuid.UUID, starts: datetime) -> uuid.UUID:
    return bus.execute_sync(
        therapy.schedule_session(
            THERAPIST, client_ids=[client_id], modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=starts, planned_minutes=50,
        )
    ).result  # fmt: skip


def late_cancelled(bus: CommandBus, client_id: uuid.UUID, starts: datetime) -> uuid.UUID:
    """A session of ``client_id`` led by ther-1 three hours ago, late-cancelled (its time
    freed), both in ``bus``'s process, which caches the client's record and the calendar."""
    session = book(bus, client_id, starts)
    bus.execute_sync(
        therapy.record_attendance(
            THERAPIST, session_id=session, attendance=[(client_id, Outcome.LATE_CANCELLED)],
            reason="called off", rules=AlertRules(),
        )
    )  # fmt: skip
    return session


def attended(client_id: uuid.UUID, session: uuid.UUID) -> Command[uuid.UUID]:
    return therapy.correct_outcome(
        THERAPIST, client_id=client_id, session_id=session, outcome=Outcome.ATTENDED,
        duration_minutes=50, reason="came after all", rules=AlertRules(),
    )  # fmt: skip


def refusal(bus: CommandBus, command: Command[uuid.UUID]) -> tuple[str, str]:
    with pytest.raises(RuleViolation) as refused:
        bus.execute_sync(command)
    return refused.value.field, refused.value.rule


def test_a_correction_into_time_booked_in_another_process_is_refused(
    buses: tuple[CommandBus, CommandBus],
) -> None:
    """Decided on the calendar cached before the other process booked the freed time: the
    correction's commit finds the calendar written since and is decided again."""
    here, there = buses
    ana, ben = client(here), client(here)
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    session = late_cancelled(here, ana, starts)
    book(there, ben, starts)
    assert refusal(here, attended(ana, session)) == ("outcome", "therapist-booked-then")
    assert here.conflicts == 1


def test_a_booking_into_time_taken_back_in_another_process_is_refused(
    buses: tuple[CommandBus, CommandBus],
) -> None:
    """Decided on the late cancellation cached before the other process corrected it to
    attended: the booking's commit finds the client's record written since."""
    here, there = buses
    ana, ben = client(here), client(here)
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    session = late_cancelled(here, ana, starts)
    there.execute_sync(attended(ana, session))
    booking = therapy.schedule_session(
        THERAPIST, client_ids=[ben], modality=Modality.CBT, format=SessionFormat.INDIVIDUAL,
        scheduled_for=starts, planned_minutes=50,
    )  # fmt: skip
    assert refusal(here, booking) == ("scheduledFor", "therapist-booked-then")
    assert here.conflicts == 1
