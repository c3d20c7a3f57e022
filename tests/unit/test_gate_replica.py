"""With the views read from a streaming replica (``read_database_url``), an access decision
still rests on the primary: the gate asks the store on the primary for the client's newest
access change, waits until the replica has replayed the views that far, and only then reads
them there; a replica that does not get there in time refuses (UNAVAILABLE), it does not
decide on what it has."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from psycopg import pq, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.projections import careteam
from carecoord.projections.models import names
from carecoord.projections.progress import Progress
from carecoord.services.gate.gate import AccessGate
from carecoord.services.gate.grants import access_change_probe
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.remembered import Grants, Memberships
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import Unavailable
from carecoord.services.platform import Platform

NURSE = Actor(id="nurse-1", role=Role.NURSE)
CHANGED_AT = 5
"""Where the store says the client's care team last changed."""


class Cursor:
    def __init__(self, one: tuple[Any, ...] | None, rows: list[tuple[Any, ...]]) -> None:
        self.one, self.rows = one, rows

    async def fetchone(self) -> tuple[Any, ...] | None:
        return self.one

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class Database:
    """A database that answers the gate's statements and notes which it was asked."""

    def __init__(self, replayed: Iterator[int], team: list[UUID]) -> None:
        self.asked: list[str] = []
        self.replayed = replayed
        self.team = team

    async def execute(self, query: object, params: object = None) -> Cursor:
        text = query.as_string() if isinstance(query, sql.Composable) else str(query)
        if "follower_positions" in text:
            self.asked.append("position")
            return Cursor((next(self.replayed),), [])
        if "originator_id" in text:
            self.asked.append("access change")
            return Cursor((CHANGED_AT,), [])
        if careteam.NAME in text:
            self.asked.append("care team")
            return Cursor(None, [(client, None) for client in self.team])
        raise AssertionError(f"not a statement the gate makes here: {text}")

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Database]:
        yield self

    async def set_autocommit(self, on: bool) -> None:
        """One statement at a time here either way."""

    info = SimpleNamespace(transaction_status=pq.TransactionStatus.IDLE)


def gate(primary: Database, replica: Database, timeout: float = 1.0) -> AccessGate:
    progress = Progress(
        "postgresql://unused",
        names(),
        Liveness(),
        replica=cast("AsyncConnectionPool", replica),
    )
    for name in names():
        progress.advance(name, CHANGED_AT)  # the primary announced it
    platform = SimpleNamespace(
        pool=primary,
        replica=replica,
        reads=replica,
        progress=progress,
        settings=SimpleNamespace(read_your_writes_timeout=timeout, program_time_zone=UTC),
        store=SimpleNamespace(recorder=SimpleNamespace(events_table_name="stored_events")),
        memberships=Memberships(),
        grants=Grants(),
        access_changes=access_change_probe(cast("AsyncConnectionPool", primary), "stored_events"),
    )
    return AccessGate(cast("Platform", platform), NURSE, None, uuid4())


async def test_the_probe_reads_the_primary_and_the_views_wait_for_the_replica() -> None:
    client = uuid4()
    primary = Database(iter(()), team=[])
    replica = Database(iter([CHANGED_AT - 1, CHANGED_AT - 1, CHANGED_AT]), team=[client])

    stamp = await gate(primary, replica).stamp(Action.ADMINISTER_DOSE, client)

    assert stamp.clients == frozenset({client})
    assert primary.asked == ["access change"]
    # the replica was asked how far it had replayed until it had the change, then decided on
    assert replica.asked == ["position", "position", "position", "care team"]


async def test_a_replica_that_lags_the_change_refuses_rather_than_decides() -> None:
    client = uuid4()
    primary = Database(iter(()), team=[])
    replica = Database(iter(lambda: CHANGED_AT - 1, None), team=[client])

    with pytest.raises(Unavailable) as refused:
        await gate(primary, replica, timeout=0.05).stamp(Action.ADMINISTER_DOSE, client)

    assert refused.value.rule == "access-rules-catching-up"
    assert primary.asked == ["access change"]
    assert "care team" not in replica.asked
