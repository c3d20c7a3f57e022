"""Stores built fast: the platform's own commands decide every event in memory, and the
stored rows go into the event store with one COPY, in the library's own format.

Each client is enrolled, given the bench's prescriber and nurse as care team, prescribed
methadone four times a day, then dosed (and every fifth step checked in) until it has its
share of events. Clients advance in rounds, so one client's events are spread over the
store as a live program's would be, not clustered. What the platform would have published
by then is marked published (the relay starts at the head), as on a platform that has run.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from carecoord.events import Actor, Role, Schedule
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.relay import NAME as RELAY
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import CatalogMapper, EventStore, store_env
from carecoord.services.kernel.aggregate import Aggregate, aggregate_id
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.medication.commands import Written, administer_dose, prescribe
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.runtime.meter import meter

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

START = date(2000, 1, 1)
"""The first dosing day; clients are enrolled the day before."""
PER_DAY = 4
PRESCRIBER = "dr-bench"
NURSE = "nurse-bench"
SETUP_EVENTS = 4
"""Enrolment, two care-team assignments and the order, before the first dose."""


def store_env_for(database_url: str) -> dict[str, str]:
    return store_env(Settings(database_url=database_url))


def given_at(n: int) -> tuple[int, datetime]:
    """The slot and time of a client's n-th dose: a distinct (day, slot) each, so all valid."""
    day, slot = divmod(n, PER_DAY)
    moment = datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC)
    return slot + 1, moment + timedelta(hours=8 + slot)


@dataclass
class Seeded:
    """A client the bench may read and dose: its order, its next dose number, its size."""

    client_id: UUID
    order_id: UUID
    next_dose: int
    events: int


class InMemory(UnitOfWork):
    """A unit of work over aggregates held in memory: the decisions without the store."""

    def __init__(self, aggregates: dict[UUID, Aggregate]) -> None:  # the store is never asked
        self._touched = aggregates
        self._before = {}

    def get(self, cls: type[A], client_id: UUID) -> A:
        aid = aggregate_id(cls.context, client_id)
        aggregate = self._touched.get(aid)
        if aggregate is None:
            aggregate = cls(client_id)
            self._touched[aid] = aggregate
        self._before.setdefault(aid, len(aggregate.pending))
        return aggregate  # type: ignore[return-value]

    @property
    def touched(self) -> list[UUID]:
        return list(self._before)


class Decider:
    """Runs commands against in-memory aggregates; hands back the stored rows they made."""

    def __init__(self, mapper: CatalogMapper) -> None:
        self.mapper = mapper
        self.aggregates: dict[UUID, Aggregate] = {}
        self.contexts: set[str] = set()

    def run(self, command: Command[T]) -> tuple[T, list[tuple[Any, ...]]]:
        uow = InMemory(self.aggregates)
        result = command(uow)
        rows = []
        for recorded in uow.recorded():
            stored = self.mapper.to_stored_event(recorded)
            rows.append(
                (stored.originator_id, stored.originator_version, stored.topic, stored.state)
            )
        for aid in uow.touched:
            self.aggregates[aid].collect_events()
            self.contexts.add(type(self.aggregates[aid]).context)
        return result, rows

    def forget(self, client_id: UUID) -> None:
        """Drop a finished client's aggregates (memory stays flat on a large store)."""
        for context in self.contexts:
            self.aggregates.pop(aggregate_id(context, client_id), None)


class Client:
    """One client's script: the setup steps, then doses with a check-in every fifth step."""

    def __init__(self, decider: Decider, index: int, events: int, clock: datetime) -> None:
        self.decider = decider
        self.client_id = uuid4()
        self.index = index
        self.target = events
        self.events = 0
        self.order_id: UUID | None = None
        self.doses = 0
        self.step = 0
        at = lambda: clock  # noqa: E731  (every event recorded at the seeding's moment)
        self.admin = Stamp(Actor(id="admin-bench", role=Role.PROGRAM_ADMIN), clock=at)
        # The order is written on its first dosing day: an order starts a year back at most.
        written = datetime.combine(START, datetime.min.time(), UTC)
        self.doctor = Stamp(Actor(id=PRESCRIBER, role=Role.PRESCRIBER), clock=lambda: written)
        self.nurse = Stamp(Actor(id=NURSE, role=Role.NURSE), clock=at)

    @property
    def done(self) -> bool:
        return self.events >= self.target

    def next_rows(self) -> list[tuple[Any, ...]]:
        step, self.step = self.step, self.step + 1
        rows: list[tuple[Any, ...]]
        if step == 0:
            enrolled = datetime.combine(START - timedelta(days=1), datetime.min.time(), UTC)
            _, rows = self.decider.run(
                enroll_client(
                    self.admin,
                    display_name=f"bench {self.index}",
                    program="bench",
                    client_id=self.client_id,
                    occurred_at=enrolled,
                )
            )
        elif step in (1, 2):
            member, role = (PRESCRIBER, Role.PRESCRIBER) if step == 1 else (NURSE, Role.NURSE)
            _, rows = self.decider.run(
                assign_member(self.admin, client_id=self.client_id, member_id=member, role=role)
            )
        elif step == 3:
            order = NewOrder(
                "methadone", Decimal(25 * PER_DAY), "mg", "oral", Schedule(times_per_day=PER_DAY),
                START, acknowledgements={INITIAL_DOSE: "opioid tolerance confirmed"},
            )  # fmt: skip
            written: Written
            written, rows = self.decider.run(
                prescribe(self.doctor, client_id=self.client_id, order=order)
            )
            self.order_id = written.id
        elif step % 5 == 0:
            _, moment = given_at(self.doses)
            check_in = CheckIn(craving=step % 7, mood=5, sleep_hours=Decimal(7))
            _, rows = self.decider.run(
                record_check_in(
                    self.nurse,
                    client_id=self.client_id,
                    check_in=check_in,
                    occurred_at=moment + timedelta(minutes=30),
                    rules=DEFAULT_ALERT_RULES,
                )
            )
        else:
            assert self.order_id is not None
            slot, moment = given_at(self.doses)
            self.doses += 1
            dose = GivenDose(self.order_id, Decimal(25), "oral solution", slot, moment)
            _, rows = self.decider.run(
                administer_dose(self.nurse, client_id=self.client_id, dose=dose)
            )
        self.events += len(rows)
        return rows

    def seeded(self) -> Seeded:
        assert self.order_id is not None
        return Seeded(self.client_id, self.order_id, self.doses, self.events)


def interleaved(clients: list[Client]) -> Iterator[list[tuple[Any, ...]]]:
    """Every unfinished client takes one step per round, until each has its events."""
    live = clients
    while live:
        for client in live:
            yield client.next_rows()
            if client.done:
                client.decider.forget(client.client_id)
        live = [c for c in live if not c.done]


def mapper_for(database_url: str) -> CatalogMapper:
    """The store's mapper (sealing as the store seals) without opening the store: opening
    it installs the event chain on the table, which would wait behind the seeding COPY."""
    env = store_env_for(database_url) | {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    factory = InfrastructureFactory.construct(Environment(EventStore.name, env))
    return cast("CatalogMapper", factory.mapper(mapper_class=CatalogMapper))


CHUNK = 2000
"""Rows per block handed from a deciding process to the COPY."""


@dataclass(frozen=True)
class Shard:
    """One deciding process's part: clients ``first`` to ``first + count``."""

    database_url: str
    first: int
    count: int
    events_per_client: int
    clock: datetime


def decide_shard(shard: Shard) -> Iterator[tuple[bytes, int] | list[Seeded]]:
    """Blocks of COPY text rows, in rounds over the shard's clients; then the clients."""
    decider = Decider(mapper_for(shard.database_url))
    script = [
        Client(decider, shard.first + i, shard.events_per_client, shard.clock)
        for i in range(shard.count)
    ]
    lines: list[str] = []
    for rows in interleaved(script):
        lines.extend(
            f"{oid}\t{version}\t{topic}\t\\\\x{state.hex()}\n"
            for oid, version, topic, state in rows
        )
        if len(lines) >= CHUNK:
            yield "".join(lines).encode(), len(lines)
            lines = []
    if lines:
        yield "".join(lines).encode(), len(lines)
    yield [c.seeded() for c in script]


def _shard_process(shard: Shard, out: Queue[tuple[bytes, int] | list[Seeded]]) -> None:
    for item in decide_shard(shard):
        out.put(item)


def seed(
    database_url: str,
    *,
    clients: int,
    events_per_client: int,
    label: str = "seeding",
    processes: int | None = None,
) -> list[Seeded]:
    """Store ``clients`` x ``events_per_client`` events and mark them published.

    Deciding is the slow part (~140 us an event), so a large store is decided by one
    process per core, their blocks taken in turn into one COPY.
    """
    store = EventStore(env=store_env_for(database_url))  # creates the library's tables
    table = store.recorder.events_table_name  # type: ignore[attr-defined]
    store.close()
    total = clients * events_per_client
    if processes is None:
        processes = min(os.cpu_count() or 1, 4) if total >= 50_000 else 1
    processes = max(1, min(processes, clients))
    clock = datetime.now(UTC)
    shards = [
        Shard(database_url, clients * k // processes,
              clients * (k + 1) // processes - clients * k // processes,
              events_per_client, clock)
        for k in range(processes)
    ]  # fmt: skip
    seeded: list[Seeded] = []
    written = 0
    with psycopg.connect(database_url) as conn:
        with (
            meter(f"  {label}") as shown,
            conn.cursor() as cur,
            cur.copy(
                f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
            ) as copy,
        ):
            for item in _in_turn(shards):
                if isinstance(item, list):
                    seeded.extend(item)
                    continue
                block, count = item
                copy.write(block)
                written += count
                shown(written, total)
        conn.commit()
        conn.execute(f"ANALYZE {table}")
        head = conn.execute(f"SELECT max(notification_id) FROM {table}").fetchone()
        conn.execute(positions.DDL)
        conn.execute(
            "INSERT INTO follower_positions (name, position) VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
            (RELAY, head[0] if head else 0),
        )
        conn.commit()
    return seeded


def _in_turn(shards: list[Shard]) -> Iterator[tuple[bytes, int] | list[Seeded]]:
    """The shards' blocks, one from each in turn (so clients of all shards interleave)."""
    if len(shards) == 1:
        yield from decide_shard(shards[0])
        return
    context = multiprocessing.get_context("spawn")
    queues: list[Queue[tuple[bytes, int] | list[Seeded]]] = [
        context.Queue(maxsize=16) for _ in shards
    ]
    workers = [
        context.Process(target=_shard_process, args=(shard, q), daemon=True)
        for shard, q in zip(shards, queues, strict=True)
    ]
    for worker in workers:
        worker.start()
    try:
        live = list(range(len(shards)))
        while live:
            for k in list(live):
                item = queues[k].get(timeout=600)
                yield item
                if isinstance(item, list):
                    live.remove(k)
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()


def sample(seeded: list[Seeded], count: int, rng: random.Random) -> list[Seeded]:
    return [rng.choice(seeded) for _ in range(count)]
