"""A cancellation and an outcome of one session sent at the same moment to two API processes:
one is recorded, and the other, decided again on the client's record as the first left it,
is refused. Both write the client's therapy record, so the second's write conflicts on its
version (a cancellation dated before the start, entered late, beside a no-show)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from carecoord.events import Actor, Role
from carecoord.events.therapy import (
    CancellationReason,
    Modality,
    SessionCancelled,
    SessionFormat,
    SessionNoShow,
)
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
THERAPIST = Stamp(Actor(id="ther-race", role=Role.THERAPIST))


@pytest.fixture
def buses(two_stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    pair = CommandBus(two_stores[0]), CommandBus(two_stores[1])
    yield pair
    for bus in pair:
        bus.close()


def test_a_cancellation_and_a_no_show_at_once_are_not_both_recorded(
    buses: tuple[CommandBus, CommandBus], two_stores: tuple[EventStore, EventStore]
) -> None:
    here, there = buses
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now - timedelta(hours=1)
    client_id = here.execute_sync(
        enroll_client(ADMIN, display_name="Ana", program="OTP", occurred_at=now - timedelta(days=2))
    ).result
    here.execute_sync(
        assign_member(ADMIN, client_id=client_id, member_id="ther-race", role=Role.THERAPIST)
    )
    session_id = here.execute_sync(
        therapy.schedule_session(
            THERAPIST, client_ids=[client_id], modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=starts, planned_minutes=50,
            occurred_at=now - timedelta(days=1),
        )
    ).result  # fmt: skip
    # This process decides on the record as it booked it: the cancellation there is unseen.
    there.execute_sync(
        therapy.cancel_session(
            THERAPIST, client_id=client_id, session_id=session_id,
            reason=CancellationReason.CLIENT_REQUEST, occurred_at=starts - timedelta(hours=2),
        )
    )  # fmt: skip

    with pytest.raises(RuleViolation) as refusal:
        here.execute_sync(
            therapy.record_attendance(
                THERAPIST, session_id=session_id, attendance=[(client_id, Outcome.NO_SHOW)],
                rules=DEFAULT_ALERT_RULES,
            )
        )  # fmt: skip

    assert refusal.value.rule == "session-cancelled"
    assert here.conflicts == 1
    recorded = [item.event for item in two_stores[0].read(0, 1000)]
    assert [type(e) for e in recorded if isinstance(e, SessionCancelled | SessionNoShow)] == [
        SessionCancelled
    ]
