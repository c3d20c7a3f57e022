"""The caseload subscriptions of a process read the alerts raised once for all of them at each
step of the feed, not once each: they wake together at the same position and share the
statement of whichever asked first (100 on one socket, reading one each, halved the rate the
API took writes at). And each step reads through an index on ``raised_position``: every step
(one per projected batch, one more for each position a feed catches up from) read the whole
alerts table, every alert ever raised, where the step holds a handful."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

import pytest
from psycopg.rows import dict_row

from carecoord.events import Actor, Role
from carecoord.events.checkins import Instrument
from carecoord.projections import alerts
from carecoord.services.care.commands import enroll_client
from carecoord.services.checkins.commands import score_instrument
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
ITEM9 = {str(n): 1 if n == 9 else 0 for n in range(1, 10)}
STEP = (
    "EXPLAIN (FORMAT JSON) SELECT * FROM alerts WHERE raised_position > %s"
    " AND raised_position <= %s ORDER BY raised_position LIMIT %s"
)


async def raised(platform: Platform, name: str) -> tuple[UUID, int]:
    """A client enrolled as ``name`` whose PHQ-9 raised an alert, in the alerts view: their
    id and the score's position."""
    bus = platform.bus
    client_id = (await bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))).result
    scored = await bus.execute(
        score_instrument(
            NURSE,
            client_id=client_id,
            instrument=Instrument.PHQ9,
            answers=ITEM9,
            rules=platform.alert_rules,
        )
    )
    assert await platform.progress.reach(alerts.NAME, scored.position, 10)
    return client_id, scored.position


async def test_subscriptions_asking_for_a_step_together_share_one_read(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id, position = await raised(platform, "Ana")
    reads: list[tuple[int, int]] = []
    read = alerts.raised_between

    async def counted(*args: Any) -> list[alerts.Alert]:
        reads.append(args[1:3])
        return await read(*args)

    monkeypatch.setattr(alerts, "raised_between", counted)
    step = (0, position, 100)
    answers = await asyncio.gather(
        *(platform.raised_alerts.between(platform.pool, *step) for _ in range(20))
    )
    assert reads == [(0, position)]
    [raised_alert] = answers[0]
    assert (raised_alert["client_id"], raised_alert["rule_id"]) == (client_id, "phq9-item9")
    assert all(answer == answers[0] for answer in answers)

    await platform.raised_alerts.between(platform.pool, *step)
    assert len(reads) == 2, "a step asked after the shared read ended is read again"


def scans(plan: dict[str, object]) -> list[str]:
    """The node types of ``plan`` and of every node below it."""
    below = plan.get("Plans", [])
    assert isinstance(below, list)
    return [str(plan["Node Type"]), *(t for p in below for t in scans(p))]


async def test_a_step_of_the_caseload_feed_reads_the_alerts_by_position(
    platform: Platform,
) -> None:
    _, position = await raised(platform, "Ivo")
    assert len(await alerts.raised_between(platform.pool, 0, position, 100)) == 1

    async with platform.pool.connection() as conn:
        await conn.execute("SET enable_seqscan = off")  # a table this small reads whole else
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(STEP, (position - 1, position, 100))
        found = await cur.fetchone()
        await conn.execute("RESET enable_seqscan")
    assert found is not None
    explained = found["QUERY PLAN"]
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    assert "Seq Scan" not in scans(plan), plan
