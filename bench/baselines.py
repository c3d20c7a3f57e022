"""The yardsticks: the bare eventsourcing library's own command path, raw one-row-per-
transaction INSERTs, and a raw COPY, for the same dose events and the same PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import store_env


class Dosing(Aggregate):
    """The library's idiom: an aggregate whose decorated command method records an event."""

    def __init__(self, client: str) -> None:
        self.client = client
        self.doses: list[str] = []

    @event("DoseGiven")
    def give(self, amount: Decimal, slot: int) -> None:
        self.doses.append(f"{amount}/{slot}")


class DosingApp(Application[uuid.UUID]):
    name = "baseline"

    def give_dose(self, aggregate_id: uuid.UUID, amount: Decimal, slot: int) -> None:
        dosing: Dosing = self.repository.get(aggregate_id)
        dosing.give(amount, slot)
        self.save(dosing)


def library_commands(database_url: str, clients: int, count: int, threads: int) -> float:
    """Load-decide-save per command, ``threads`` at a time on distinct aggregates."""
    env = store_env(Settings(database_url=database_url))
    env.pop("AGGREGATE_CACHE_MAXSIZE")
    env.pop("AGGREGATE_CACHE_FASTFORWARD")
    env.pop("DEEPCOPY_FROM_AGGREGATE_CACHE")
    app = DosingApp(env=env)
    ids = []
    for i in range(clients):
        agg = Dosing(f"client-{i}")
        app.save(agg)
        ids.append(agg.id)
    per_thread = [ids[t::threads] for t in range(threads)]

    def run(mine: list[uuid.UUID], n: int) -> None:
        for i in range(n):
            app.give_dose(mine[i % len(mine)], Decimal(60), i)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, per_thread, [count // threads] * threads))
    rate = (count // threads * threads) / (time.perf_counter() - started)
    app.close()
    return rate


ROW_DDL = (
    "CREATE TABLE IF NOT EXISTS raw_events (id bigserial PRIMARY KEY, client_id uuid, body jsonb)"
)


def dose_body(i: int) -> str:
    return json.dumps({"type": "DoseAdministered", "amount": "60", "slot": 1, "n": i})


def raw_inserts(database_url: str, count: int, threads: int) -> float:
    """One INSERT per transaction, ``threads`` connections at a time."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(ROW_DDL)

    def run(n: int) -> None:
        with psycopg.connect(database_url) as conn:
            client = uuid.uuid4()
            for i in range(n):
                conn.execute(
                    "INSERT INTO raw_events (client_id, body) VALUES (%s, %s)",
                    (client, dose_body(i)),
                )
                conn.commit()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, [count // threads] * threads))
    return (count // threads * threads) / (time.perf_counter() - started)


def raw_copy(database_url: str, rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> float:
    """COPY the given rows into an unindexed-but-for-its-key table: the bulk-write ceiling."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "CREATE TABLE raw_copy (position bigint PRIMARY KEY, client_id uuid, event_id uuid,"
            " type text, kind text, occurred_at timestamptz, recorded_at timestamptz,"
            " actor_id text, actor_role text, summary text, facts jsonb)"
        )
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY raw_copy ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows) / (time.perf_counter() - started)
