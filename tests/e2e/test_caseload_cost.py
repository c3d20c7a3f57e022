"""The caseload statement's work grows with the team, not with its square. Planned on the care
team's estimate (one client for a team just assigned, before its table is analysed), it ran
the last-check-in lookup again for each client: a team of a thousand read the timeline's
index a million times, 0.9 s of the database for each read of a page."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from carecoord.events import Role
from carecoord.projections import caseload
from support import Api, mutation

TEAM = 200
NURSE = "nurse-program-wide"
ENROLL = mutation("EnrollClientInput", "enrollClient")
PER_CLIENT = 40
"""Index pages one client's lookups read, at the most: enrolment, episode, alerts, doses,
missed days, check-ins, sessions, with their index's upper levels."""


async def assigned(api: Api, n: int) -> int:
    data = await api.ok(
        ENROLL, {"input": {"displayName": f"C{n:04}", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    return await api.join_care_team(data["enrollClient"]["id"], Role.NURSE, NURSE)


async def test_a_program_wide_caseload_costs_in_proportion_to_its_team(api: Api) -> None:
    position = 0
    for start in range(0, TEAM, 20):
        done = await asyncio.gather(*(assigned(api, n) for n in range(start, start + 20)))
        position = max(position, *done)
    caught_up = await api.ok(
        "query($at: Seq) { myCaseload(atLeast: $at, first: 1) { pageInfo { hasNextPage } } }",
        {"at": position},
        role=Role.NURSE,
        user=NURSE,
    )
    assert caught_up["myCaseload"]["pageInfo"]["hasNextPage"] is True

    today = datetime.now(UTC).date()
    arguments = {
        "member": NURSE,
        "role": Role.NURSE.value,
        "severities": ["high", "moderate", "low"],
        "taken": caseload.TAKEN,
        "closed": caseload.SESSION_CLOSED,
        "today": today,
        "zone": "UTC",
        "missed_from": today - timedelta(days=30),
        "every": timedelta(days=7),
        "alert_rules": None,
    }
    async with api.platform.pool.connection() as conn:
        explain = b"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + caseload._CASELOAD.as_bytes(conn)
        cur = await conn.execute(explain, arguments)
        row = await cur.fetchone()
    assert row is not None
    [found] = row[0] if isinstance(row[0], list) else json.loads(row[0])
    plan = found["Plan"]
    assert plan["Actual Rows"] == TEAM
    read = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    assert read < PER_CLIENT * TEAM, read
