"""The projector: a redelivered or replayed batch changes nothing; position and rows move
together."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import uuid4

from psycopg import AsyncConnection, sql

from carecoord.events import Actor, Role
from carecoord.events.checkins import CheckInRecorded, ReportSource
from carecoord.graphql.status import health
from carecoord.projections import timeline
from carecoord.projections.projector import Projector
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.doorbell import read_page
from carecoord.services.kernel.aggregate import Recorded, aggregate_id
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))


async def timeline_state(platform: Platform) -> tuple[int, list[Any]]:
    async with platform.pool.connection() as conn:
        position = await positions.read(conn, timeline.NAME)
        cur = await conn.execute("SELECT position, event_id, summary FROM timeline ORDER BY 1")
        return position, await cur.fetchall()


async def enroll_many(platform: Platform, count: int) -> int:
    outcomes = await asyncio.gather(
        *(
            platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
            for i in range(count)
        )
    )
    last = max(o.position for o in outcomes)
    assert await platform.progress.reach(timeline.NAME, last, 10)
    return last


async def test_replaying_a_batch_changes_nothing(platform: Platform) -> None:
    await enroll_many(platform, 20)
    before = await timeline_state(platform)
    batch = await asyncio.to_thread(platform.store.read, 0, 100)

    projector = Projector(platform.pool, [timeline])
    moved = await projector.handle(batch)
    again = await projector.handle(batch[5:12])

    assert moved == again == {}
    assert before[0] == 20
    assert await timeline_state(platform) == before


async def test_an_event_a_view_cannot_hold_is_set_aside_and_the_rest_flow(
    platform: Platform,
) -> None:
    """A check-in stored before notes were checked for NUL: the timeline (jsonb) cannot
    hold it. It is set aside for the views it breaks; the next client's events still
    reach every view, and /health says degraded."""
    client = await platform.bus.execute(enroll_client(ADMIN, display_name="P", program="OTP"))
    valid = NURSE.event(
        CheckInRecorded,
        client.result,
        None,
        checkin_id=uuid4(),
        source=ReportSource.CLINICIAN,
        note="fine",
    )
    poison = valid.model_copy(update={"note": "before\x00after"})
    record = Recorded(aggregate_id(CheckInRecorded.context, client.result), 1, poison)
    stored = await asyncio.to_thread(platform.store.record, [record], [])
    poison_at = stored[0].notification.id

    canary = await enroll_many(platform, 1)

    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT follower, position, error FROM parked_events")
        parked = await cur.fetchall()
        cur = await conn.execute("SELECT position FROM timeline WHERE position = %s", (canary,))
        assert await cur.fetchone() == (canary,)
    assert ("timeline", poison_at) in {(name, at) for name, at, _ in parked}
    assert all(error.startswith("UntranslatableCharacter") for _, _, error in parked), parked
    assert canary > poison_at
    body = await health(platform)
    assert body["status"] == "degraded"
    followers = body["followers"]
    assert isinstance(followers, dict)
    assert followers["timeline"] == {"position": canary, "lag": 0, "parked": 1}


async def test_a_pipelined_batch_writes_the_rows_a_copied_one_does(platform: Platform) -> None:
    """A live batch goes pipelined, its timeline rows as INSERTs; a catch-up's as COPY."""
    await enroll_many(platform, 40)
    page = await asyncio.to_thread(read_page, platform.store, 0, 100)
    found = []
    async with platform.pool.connection() as conn:
        for generation, pipelined in ((90, True), (91, False)):
            for statement in timeline.ddl(generation):
                await conn.execute(statement)
            async with conn.pipeline() if pipelined else contextlib.nullcontext():
                await timeline.apply(conn, generation, page.events)
            cur = await conn.execute(
                sql.SQL("SELECT * FROM {} ORDER BY position").format(timeline.table(generation))
            )
            found.append(await cur.fetchall())
    assert len(found[0]) == len(page.events) >= 40
    assert found[0] == found[1]


class CommitSetting:
    """A read model that notes the commit setting each batch it is given runs under."""

    NAME = "commit_setting"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def ddl(self, generation: int) -> list[sql.Composed]:
        return []

    def table(self, generation: int) -> sql.Identifier:
        return sql.Identifier(f"{self.NAME}_{generation}")

    async def apply(self, conn: AsyncConnection, generation: int, batch: Any) -> None:
        cur = await conn.execute("SELECT current_setting('synchronous_commit')")
        row = await cur.fetchone()
        assert row is not None
        self.seen.append(row[0])


async def test_a_batch_commits_without_waiting_for_its_flush(platform: Platform) -> None:
    """Read models are derived, their positions move with their rows: a batch's commit does
    not wait for the disk, pipelined (live) or not (a catch-up), and the setting ends with it."""
    await enroll_many(platform, 40)
    batch = await asyncio.to_thread(platform.store.read, 0, 100)
    model = CommitSetting()
    projector = Projector(platform.pool, [model])

    await projector.handle(batch[:5])
    await projector.handle(batch[5:])

    assert model.seen == ["off", "off"]
    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT current_setting('synchronous_commit')")
        assert await cur.fetchone() == ("on",)
