"""Sessions booked before clinicians' calendars were kept, put on their leaders' calendars
as the platform starts: such a session was on no calendar, so it held no time of its
leader's, and a clinic upgrading with next week's sessions booked could book each of their
therapists twice.

Each process that decides runs it before its first command, once per store: the first takes
a lock and the others wait for it, so no booking is decided before every earlier session is
on its calendar. It reads the store's session bookings (``therapy.SessionScheduled``) page by
page, puts each session on its leader's calendar (``booked_before_calendars``: once, a
session already there is left), and records how far it got, so a run cut short resumes
there; once through, it is marked done and later starts read nothing. Stored events are not
changed: the calendar records what the bookings said.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from uuid import UUID

import psycopg

from carecoord.events.envelope import type_name
from carecoord.events.positioned import Positioned
from carecoord.events.therapy import SessionScheduled
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.positions import SCHEMA_LOCK
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.therapy.commands import booked_before_calendars

log = logging.getLogger("carecoord.calendars")

NAME = "clinician-calendars"
DDL = """
CREATE TABLE IF NOT EXISTS store_upgrades (
    name text PRIMARY KEY,
    position bigint NOT NULL,
    done boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
_LOCK = "SELECT pg_advisory_lock(hashtext('carecoord.clinician-calendars'))"
_READ = "SELECT position, done FROM store_upgrades WHERE name = %s"
_WRITE = (
    "INSERT INTO store_upgrades (name, position, done) VALUES (%s, %s, %s)"
    " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, done = EXCLUDED.done,"
    " updated_at = now()"
)
PAGE = 500
PROGRESS_SECONDS = 5.0


async def put_on_calendars(store: EventStore, bus: CommandBus, database_url: str) -> None:
    """Put every session booked before calendars were kept on its leader's calendar, unless a
    run has done so; other processes starting meanwhile wait for this one."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        async with conn.transaction():
            await conn.execute(SCHEMA_LOCK)
            await conn.execute(DDL)
        await conn.execute(_LOCK)  # released as the connection closes
        row = await (await conn.execute(_READ, (NAME,))).fetchone()
        if row is not None and row[1]:
            return
        await _run(store, bus, conn, int(row[0]) if row else 0)


async def _run(
    store: EventStore, bus: CommandBus, conn: psycopg.AsyncConnection, after: int
) -> None:
    started = last_said = time.monotonic()
    head = await asyncio.to_thread(store.last_position)
    _progress(after, head)
    sessions = recorded = 0
    while True:
        page = await asyncio.to_thread(store.read, after, PAGE, (type_name(SessionScheduled),))
        last = len(page) < PAGE
        complete, after = _sessions(page, after, last=last)
        done = await asyncio.gather(
            *(bus.execute(booked_before_calendars(members)) for members in complete)
        )
        sessions += len(complete)
        recorded += sum(outcome.result for outcome in done)
        await conn.execute(_WRITE, (NAME, after, last))
        if last:
            break
        if time.monotonic() - last_said >= PROGRESS_SECONDS:
            last_said = time.monotonic()
            _progress(after, head)
    log.info(
        "sessions booked before calendars are on their leaders' calendars",
        extra={
            "code": "CALENDARS_UPGRADED",
            "sessions": sessions,
            "recorded": recorded,
            "seconds": round(time.monotonic() - started, 1),
        },
    )


def _progress(position: int, head: int) -> None:
    log.info(
        "putting sessions booked before calendars on their leaders' calendars",
        extra={"code": "CALENDARS_UPGRADING", "position": position, "head": head},
    )


def _sessions(
    page: Sequence[Positioned], after: int, *, last: bool
) -> tuple[list[list[SessionScheduled]], int]:
    """The page's sessions, each its members' bookings, and the position to read on from. A
    group's bookings (at most 100) are stored together, one per member; a full page may end
    within one, so unless it is the last page its last session is left to the next page,
    read from before that session's first booking."""
    by_session: dict[UUID, list[SessionScheduled]] = {}
    first_at: dict[UUID, int] = {}
    for item in page:
        event = item.event
        if isinstance(event, SessionScheduled):
            by_session.setdefault(event.session_id, []).append(event)
            first_at.setdefault(event.session_id, item.position)
    if not page:
        return [], after
    if last:
        return list(by_session.values()), page[-1].position
    tail = page[-1].event
    assert isinstance(tail, SessionScheduled)
    del by_session[tail.session_id]
    return list(by_session.values()), first_at[tail.session_id] - 1
