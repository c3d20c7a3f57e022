"""The caseload feed reads the alerts raised between two positions through an index on
``raised_position``: each step of every open ``alertsForMyCaseload`` (one per projected
batch, one more for each position a feed catches up from) read the whole alerts table, every
alert ever raised, where the step holds a handful."""

from __future__ import annotations

import json

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


def scans(plan: dict[str, object]) -> list[str]:
    """The node types of ``plan`` and of every node below it."""
    below = plan.get("Plans", [])
    assert isinstance(below, list)
    return [str(plan["Node Type"]), *(t for p in below for t in scans(p))]


async def test_a_step_of_the_caseload_feed_reads_the_alerts_by_position(
    platform: Platform,
) -> None:
    bus = platform.bus
    client_id = (await bus.execute(enroll_client(ADMIN, display_name="Ivo", program="OTP"))).result
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
    assert len(await alerts.raised_between(platform.pool, 0, scored.position, 100)) == 1

    async with platform.pool.connection() as conn:
        await conn.execute("SET enable_seqscan = off")  # a table this small reads whole else
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(STEP, (scored.position - 1, scored.position, 100))
        found = await cur.fetchone()
        await conn.execute("RESET enable_seqscan")
    assert found is not None
    explained = found["QUERY PLAN"]
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    assert "Seq Scan" not in scans(plan), plan
