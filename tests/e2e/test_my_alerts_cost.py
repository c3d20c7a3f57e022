"""The alert queue's statement reads the reader's clients' alerts, however many alerts other
teams hold. Planned as a scan of every alert with each checked against the care team, a
nurse on a team of a thousand read the whole program's alerts (a hashed team against every
row), and five times the program's alerts cost five times the reads. The rows are put in the
views' tables directly: the statement, not the projector, is what is measured."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection

from carecoord.events import Role
from carecoord.projections import alerts
from carecoord.services.alerts.record import Status
from support import Api

NURSE = "nurse-thousand"
TEAM = 1000
OTHERS = 60_000
"""Alerts on other teams at first (each client's alerts then found three index pages down);
then five times as many."""


async def table_of(conn: AsyncConnection, view: str) -> str:
    cur = await conn.execute(
        "SELECT table_name FROM information_schema.view_table_usage WHERE view_name = %s",
        (view,),
    )
    row = await cur.fetchone()
    assert row is not None
    return str(row[0])


async def added(conn: AsyncConnection, members: list[tuple[uuid.UUID, str]], each: int) -> None:
    """``members``' clients on their teams (one member each) with ``each`` open alerts."""
    now = datetime.now(UTC)
    positions = iter(range(await _next_position(conn), 2**62))
    team, queue = await table_of(conn, "care_team"), await table_of(conn, alerts.NAME)
    async with conn.cursor().copy(
        f"COPY {team} (position, client_id, member_id, role, started_at) FROM STDIN"
    ) as copy:
        for client_id, member in members:
            await copy.write_row(
                (next(positions), client_id, member, "nurse", now - timedelta(days=9))
            )
    columns = ", ".join(alerts.Alert.__annotations__)
    async with conn.cursor().copy(f"COPY {queue} ({columns}) FROM STDIN") as copy:
        for n, (client_id, _) in enumerate(members):
            for k in range(each):
                at = next(positions)
                await copy.write_row(
                    (uuid.uuid4(), client_id, "phq9-item9", "1", "high", "PHQ-9 item 9",
                     "item 9 scored 2", "assess", json.dumps([]), None, "open",
                     now - timedelta(minutes=n + k), at, at, "[]")
                )  # fmt: skip
    await conn.execute(f"ANALYZE {team}")
    await conn.execute(f"ANALYZE {queue}")
    await conn.commit()


def elsewhere(clients: int) -> list[tuple[uuid.UUID, str]]:
    """New clients on the teams of fifty other nurses."""
    return [(uuid.uuid4(), f"nurse-other-{n % 50}") for n in range(clients)]


async def _next_position(conn: AsyncConnection) -> int:
    cur = await conn.execute("SELECT coalesce(max(raised_position), 0) + 1000000 FROM alerts")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def buffers_read(
    api: Api, monkeypatch: pytest.MonkeyPatch, team: list[uuid.UUID]
) -> tuple[int, int]:
    """The rows and buffers of the queue's statement for NURSE's open alerts, every alert
    of ``team`` shown."""
    sent: list[tuple[Any, list[Any]]] = []

    async def kept(pool: Any, row: Any, query: Any, params: list[Any]) -> list[Any]:
        sent.append((query, params))
        return []

    with monkeypatch.context() as patch:
        patch.setattr(alerts, "fetch", kept)
        await alerts.routed_to(
            api.platform.pool,
            NURSE,
            Role.NURSE,
            (Status.OPEN,),
            (None, None),
            5001,
            shown=[(team, None)],
        )
    [(query, params)] = sent
    async with api.platform.pool.connection() as conn:
        text = b"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query.as_bytes(conn)
        cur = await conn.execute(text, params)
        row = await cur.fetchone()
    assert row is not None
    [found] = row[0] if isinstance(row[0], list) else json.loads(row[0])
    plan = found["Plan"]
    return plan["Actual Rows"], plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]


async def test_the_queue_reads_as_much_in_a_program_six_times_as_busy(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await AsyncConnection.connect(api.platform.database_url) as conn:
        team = [uuid.uuid4() for _ in range(TEAM)]
        await added(conn, [(client_id, NURSE) for client_id in team], 2)
        await added(conn, elsewhere(OTHERS), 1)
        rows, before = await buffers_read(api, monkeypatch, team)
        await added(conn, elsewhere(4 * OTHERS), 1)
        rows_after, after = await buffers_read(api, monkeypatch, team)

    assert rows == rows_after == 2 * TEAM
    assert after <= before * 1.05, (before, after)
