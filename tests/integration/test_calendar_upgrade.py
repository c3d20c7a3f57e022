"""Sessions booked before calendars were kept hold their leader's time once the platform has
started on the store: before, they were on no calendar, so a clinic upgrading with next
week's sessions booked could book each of their therapists a second time then. The store
here holds sessions booked as the earlier release booked them: each member's
``therapy.SessionScheduled`` and no ``therapy.ClinicianBooked``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from conftest import isolated_settings

from carecoord.events import Actor, Role
from carecoord.events.therapy import (
    ClinicianBooked,
    Modality,
    SessionFormat,
    SessionScheduled,
    calendar_id,
)
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import UnitOfWork
from carecoord.services.runtime import calendars
from carecoord.services.runtime.calendars import put_on_calendars
from carecoord.services.therapy.commands import schedule_session
from carecoord.services.therapy.record import TherapyRecord

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
THERAPIST = Stamp(Actor(id="ther-1", role=Role.THERAPIST))
NEXT_WEEK = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)


@pytest.fixture
def stores(database: str, data_dir: Path) -> Iterator[tuple[EventStore, EventStore]]:
    """Two processes' stores on one database, as two API processes starting together."""
    env = store_env(isolated_settings(data_dir, database_url=database))
    pair = EventStore(env=env), EventStore(env=env)
    yield pair
    for store in pair:
        store.close()


@pytest.fixture
def buses(stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    pair = CommandBus(stores[0]), CommandBus(stores[1])
    yield pair
    for bus in pair:
        bus.close()


def client(bus: CommandBus) -> UUID:
    """An enrolled client with ther-1 on their care team."""
    client_id: UUID = bus.execute_sync(
        enroll_client(ADMIN, display_name="Ana", program="OTP")
    ).result
    bus.execute_sync(
        assign_member(ADMIN, client_id=client_id, member_id="ther-1", role=Role.THERAPIST)
    )
    return client_id


def booked_the_old_way(bus: CommandBus, client_ids: list[UUID], starts: datetime) -> UUID:
    """A session ther-1 leads, booked as the earlier release booked it: one
    ``SessionScheduled`` per member, in one transaction, on no calendar."""
    session_id = uuid4()
    group = SessionFormat.GROUP if len(client_ids) > 1 else SessionFormat.INDIVIDUAL

    def run(uow: UnitOfWork) -> UUID:
        for client_id in client_ids:
            record = uow.get(TherapyRecord, client_id)
            record.record(
                THERAPIST.event(
                    SessionScheduled, client_id, None, session_id=session_id,
                    modality=Modality.CBT, format=group, clinician_id="ther-1",
                    scheduled_for=starts, planned_minutes=50, group_size=len(client_ids),
                )
            )  # fmt: skip
        return session_id

    bus.execute_sync(run)
    return session_id


def book(bus: CommandBus, client_id: UUID, starts: datetime) -> UUID:
    booked: UUID = bus.execute_sync(
        schedule_session(
            THERAPIST, client_ids=[client_id], modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=starts, planned_minutes=50,
        )
    ).result  # fmt: skip
    return booked


def calendar_entries(store: EventStore) -> list[ClinicianBooked]:
    return [p.event for p in store.read(0, 10_000) if isinstance(p.event, ClinicianBooked)]


async def test_sessions_booked_before_calendars_hold_their_leaders_time(
    stores: tuple[EventStore, EventStore],
    buses: tuple[CommandBus, CommandBus],
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    here, there = buses
    ana, ben, cai, dee = (client(here) for _ in range(4))
    # Pages of three bookings: the group's two bookings are split across two pages.
    monkeypatch.setattr(calendars, "PAGE", 3)
    alone = booked_the_old_way(here, [ana], NEXT_WEEK)
    earlier = booked_the_old_way(here, [ana], NEXT_WEEK - timedelta(days=1))
    group = booked_the_old_way(here, [ben, cai], NEXT_WEEK + timedelta(days=1))

    with caplog.at_level(logging.INFO, logger="carecoord.calendars"):
        # Two processes starting together: one puts them on the calendar, the other waits.
        await asyncio.gather(
            put_on_calendars(stores[0], here, database),
            put_on_calendars(stores[1], there, database),
        )
        await put_on_calendars(stores[0], here, database)  # a later start does nothing

    entries = calendar_entries(stores[0])
    assert sorted((e.session_id, tuple(e.client_ids)) for e in entries) == sorted(
        [(alone, (ana,)), (earlier, (ana,)), (group, (ben, cai))]
    )
    assert {(e.client_id, e.actor.role, e.scheduled_for) for e in entries} >= {
        (calendar_id("ther-1"), Role.SYSTEM, NEXT_WEEK)
    }
    upgraded = [r for r in caplog.records if getattr(r, "code", "") == "CALENDARS_UPGRADED"]
    assert [(r.sessions, r.recorded) for r in upgraded] == [(3, 3)]  # type: ignore[attr-defined]
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT done FROM store_upgrades").fetchall() == [(True,)]

    for starts, session_id in [(NEXT_WEEK, alone), (NEXT_WEEK + timedelta(days=1), group)]:
        with pytest.raises(RuleViolation) as refused:
            book(there, dee, starts + timedelta(minutes=20))
        assert (refused.value.field, refused.value.rule) == (
            "scheduledFor",
            "therapist-booked-then",
        )
        assert str(session_id) in refused.value.message
    book(there, dee, NEXT_WEEK + timedelta(minutes=50))  # as the earlier session ends
