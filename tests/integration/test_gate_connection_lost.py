"""The access gate's reads, whose connection the server ended (an operator's
pg_terminate_backend, a restart, a failover), refuse UNAVAILABLE, rule
database-connection-lost, to retry: they decided nothing. Inside a mutation (the write
gate reads care-team membership and the newest access change before any command is
decided) the driver's error was answered INTERNAL_SERVER_ERROR, as a write of unknown
outcome, and a clinic's client could not tell that asking again was safe.

The newest access change, one statement shared by every request waiting on it, and the
views the gate reads are asked once more on another connection: each backend terminated
failed every request waiting then, and the pool's other idle connections, dead with it,
failed the next ones."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import isolated_settings
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.graphql.errors import shaped
from carecoord.projections import careteam
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.gate.gate import AccessGate
from carecoord.services.gate.grants import (
    access_change_probe,
    clients_of,
    last_access_change,
    on_care_team,
    programs_of,
    standings,
)
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.errors import Unavailable
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from graphql import GraphQLError, parse

NURSE = Actor(id="nurse-1", role=Role.NURSE)
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
VIEWS = "gate-views"
CLIENT = uuid.uuid4()
DOSE = parse('mutation { administerDose(input: {clientId: "c"}) { id } }')
Read = Callable[[psycopg.AsyncConnection[Any]], Awaitable[object]]
READS: dict[str, Read] = {
    "on_care_team": lambda conn: on_care_team(conn, NURSE, frozenset({CLIENT})),
    "last_access_change": lambda conn: last_access_change(conn, "events", [CLIENT]),
    "standings": lambda conn: standings(conn, NURSE, [CLIENT], date(2026, 1, 5)),
    "programs_of": lambda conn: programs_of(conn, frozenset({CLIENT})),
    "clients_of": lambda conn: clients_of(conn, "OTP"),
}


async def ended_by_the_server(database: str) -> psycopg.AsyncConnection[Any]:
    """A connection whose backend an operator terminated."""
    conn = await psycopg.AsyncConnection.connect(database, autocommit=True)
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    return conn


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
async def test_a_gate_read_whose_connection_was_ended_is_unavailable_to_retry(
    database: str, read: Read
) -> None:
    conn = await ended_by_the_server(database)
    try:
        with pytest.raises(Unavailable) as refused:
            await read(conn)
    finally:
        await conn.close()

    assert refused.value.rule == "database-connection-lost"
    shown = shaped(
        GraphQLError("", path=["administerDose"], original_error=refused.value),
        mask=True,
        document=DOSE,
    )
    extensions = shown.extensions or {}
    assert (extensions["code"], extensions["rule"]) == ("UNAVAILABLE", "database-connection-lost")
    assert "retry" in shown.message


async def test_another_database_error_of_a_gate_read_is_not_taken_for_a_lost_connection(
    database: str,
) -> None:
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            await clients_of(conn, "OTP")  # a database without the views


async def test_the_shared_access_change_probe_is_asked_again_on_another_connection(
    database: str, data_dir: Path
) -> None:
    store = EventStore(env=store_env(isolated_settings(data_dir, database_url=database)))
    table = store.recorder.events_table_name  # type: ignore[attr-defined]
    store.close()
    async with AsyncConnectionPool(database, min_size=3, open=False) as pool:
        await pool.open(wait=True)
        async with await psycopg.AsyncConnection.connect(database, autocommit=True) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        probe = access_change_probe(pool, table)

        first, second = await asyncio.gather(probe.ask([CLIENT]), probe.ask([uuid.uuid4()]))

        assert (first, second) == (0, 0)


async def test_the_gate_reads_the_views_again_on_another_connection(platform: Platform) -> None:
    client = uuid.uuid4()
    await platform.bus.execute(
        enroll_client(ADMIN, display_name="A", program="OTP", client_id=client)
    )
    added = await platform.bus.execute(
        assign_member(ADMIN, client_id=client, member_id=NURSE.id, role=Role.NURSE)
    )
    assert await platform.progress.reach(careteam.NAME, added.position, 30)
    views = AsyncConnectionPool(
        platform.database_url, min_size=3, open=False, kwargs={"application_name": VIEWS}
    )
    async with views:
        await views.open(wait=True)
        async with await psycopg.AsyncConnection.connect(platform.database_url) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (VIEWS,),
            )
        gate = AccessGate(replace(platform, replica=views), NURSE, None, uuid.uuid4())

        assert await gate.on_team(frozenset({client})) == {client}
