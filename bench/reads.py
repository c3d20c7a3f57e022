"""Reads: a timeline page (the first 50 entries after a random cursor) of a client with
10,000 events, through carecoord's GraphQL (a real token: the access decision and the
access-log entry are part of every request), through PostGraphile v4 over the same rows,
and as the bare keyset query (the floor). One open-loop generator drives all three at the
same stepped rates, in turn at each rate, starting pages at the same entries in the same
order."""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from carecoord.bench import postgraphile
from carecoord.bench.load import Latencies, Pool, Step, Steps, closed_for, open_loop
from carecoord.bench.operations import TIMELINE, gql, wait_projected
from carecoord.bench.options import Bench
from carecoord.bench.platform import Deployment
from carecoord.bench.seed import PRESCRIBER, Seeded, seed
from carecoord.bench.summary import Figure, Target
from carecoord.events import Role
from carecoord.graphql.timeline import cursor_of

PAGE = 50
FLOOR_SQL = (
    "SELECT position, type, summary, occurred_at, recorded_at, actor_id, actor_role"
    " FROM timeline WHERE client_id = %s AND (occurred_at, position) > (%s, %s)"
    " ORDER BY occurred_at, position LIMIT %s"
)
FIRST_SQL = (
    "SELECT position, type, summary, occurred_at, recorded_at, actor_id, actor_role"
    " FROM timeline WHERE client_id = %s ORDER BY occurred_at, position LIMIT %s"
)

Call = Callable[[int], Awaitable[None]]
WARM_UP_CALLERS = 16
"""Concurrent connections warming a target up: the kernel spreads them over its workers."""
GIVE_UP_MS = 1000.0
"""A target whose p99 passed this is not offered higher rates: they would only queue more."""


def starts(entries: int, count: int) -> list[int]:
    """The entry each page starts at (0 = no cursor), the same for every target."""
    rng = random.Random(16)
    return [rng.randrange(0, entries - PAGE + 1) for _ in range(count)]


@dataclass
class History:
    """The client read, its entries in clinical order, and the entry each page starts at."""

    client: Seeded
    entries: list[tuple[datetime, int]]
    generation: int
    order: list[int]

    def start(self, i: int) -> int:
        return self.order[i % len(self.order)]


@dataclass
class Reader:
    """One target of the read ladder: how to ask it for a page, and how it did so far."""

    name: str
    label: str
    url: str
    make: Callable[[Pool], Call]
    steps: Steps
    over: int = 0
    stopped: bool = False
    cpu: float = 0.0
    """The load generator's CPU seconds spent driving this target."""

    def ask(self, latencies: Latencies, rate: float) -> None:
        self.steps.steps.append(Step(rate, latencies))
        self.over = 0 if latencies.ok else self.over + 1
        self.stopped = self.over >= 2 or bool(latencies.errors) or latencies.p99 > GIVE_UP_MS


async def run(bench: Bench) -> None:
    options = bench.options
    bench.say(f"reads: seeding a client with {options.history:,} events")
    with bench.database() as url:
        client = seed(url, clients=1, events_per_client=options.history, label="seeding")[0]
        async with contextlib.AsyncExitStack() as stack:
            deployment = await stack.enter_async_context(
                bench.platform(url, api_workers=options.read_workers)
            )
            await wait_projected(deployment)
            history = await asyncio.to_thread(read_history, url, client)
            readers = [through_carecoord(deployment, history)]
            peer = await through_postgraphile(bench, stack, url, deployment.logs, history)
            if peer is not None:
                readers.append(peer)
            db = await stack.enter_async_context(
                AsyncConnectionPool(url, min_size=8, max_size=8, open=False)
            )
            await db.open(wait=True)
            readers.append(keyset_floor(db, deployment.url, history))
            await stack.enter_async_context(bench.profiled("reads", deployment.processes))
            await ladder(bench, readers)
        # The same API, each read's access-log entry flushed before its page is sent: on
        # its own afterwards (two APIs' pools at once pass the server's connection limit).
        flushed = {"CARECOORD_ACCESS_LOG_FLUSH": "flushed"}
        async with bench.platform(
            url, api_workers=options.read_workers, settings=flushed, parts=["api"]
        ) as deployment:
            readers.append(
                through_carecoord(
                    deployment, history, "carecoord-flushed", "carecoord, log flushed"
                )
            )
            await ladder(bench, readers[-1:])
    report(bench, {r.name: r.steps for r in readers})


def read_history(url: str, client: Seeded) -> History:
    with psycopg.connect(url) as conn:
        entries = conn.execute(
            "SELECT occurred_at, position FROM timeline WHERE client_id = %s"
            " ORDER BY occurred_at, position",
            (client.client_id,),
        ).fetchall()
        found = conn.execute(
            "SELECT generation FROM projection_generations WHERE name = 'timeline'"
        ).fetchone()
    return History(client, entries, int(found[0]) if found else 1, starts(len(entries), 100_000))


async def ladder(bench: Bench, readers: list[Reader]) -> None:
    """Each rate offered to every target still keeping up, one after another, so load from
    outside the bench at any moment falls on all of them alike."""
    options = bench.options
    for reader in readers:  # warm up every API worker: connections, caches, statements
        pool = Pool(reader.url)
        await closed_for(WARM_UP_CALLERS, options.warm_up, _any_caller(reader.make(pool)))
        pool.close()
    for rate in options.read_rates:
        for reader in readers:
            if reader.stopped:
                continue
            pool = Pool(reader.url)  # one per rate: none idles into a server's keep-alive limit
            before = resource.getrusage(resource.RUSAGE_SELF)
            latencies = await open_loop(rate, options.seconds, reader.make(pool))
            after = resource.getrusage(resource.RUSAGE_SELF)
            pool.close()
            reader.cpu += after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            reader.ask(latencies, rate)
            bench.say(f"reads: {reader.label:<20} {rate:5.0f}/s  {latencies.summary()}")
            await asyncio.sleep(0.3)
        if all(r.stopped for r in readers):
            break
    for reader in readers:
        seconds = options.seconds * len(reader.steps.steps)
        bench.summary.notes.append(
            f"reads {reader.name}: the load generator used {100 * reader.cpu / seconds:.0f}%"
            " of a core driving it"
        )


def _any_caller(call: Call) -> Callable[[int, int], Awaitable[None]]:
    async def called(_: int, i: int) -> None:
        await call(i)

    return called


def through_carecoord(
    deployment: Deployment,
    history: History,
    name: str = "carecoord",
    label: str = "carecoord GraphQL",
) -> Reader:
    token = deployment.token(Role.PRESCRIBER, PRESCRIBER)
    client = str(history.client.client_id)
    cursors = [None] + [cursor_of({"occurred_at": o, "position": p}) for o, p in history.entries]

    def make(pool: Pool) -> Call:
        async def call(i: int) -> None:
            variables = {"id": client, "after": cursors[history.start(i)]}
            page = await gql(pool, token, TIMELINE, variables)
            if len(page["clientTimeline"]["edges"]) != PAGE:
                raise RuntimeError("a short page")

        return call

    return Reader(name, label, deployment.url, make, Steps(name))


async def through_postgraphile(
    bench: Bench, stack: contextlib.AsyncExitStack, url: str, logs: Path, history: History
) -> Reader | None:
    command = await asyncio.to_thread(postgraphile.installed, bench.say)
    if command is None:
        bench.say("reads: PostGraphile could not be installed (npm, node); no peer")
        return None
    generation = history.generation
    client = str(history.client.client_id)
    field = postgraphile.connection_field(generation)
    query = postgraphile.timeline_query(generation)
    pg_url = await stack.enter_async_context(
        postgraphile.serving(command, url, logs / "postgraphile.log")
    )
    pool = Pool(pg_url, 1)
    try:
        data = await gql(pool, None, postgraphile.cursors_query(generation), {"id": client})
    finally:
        pool.close()
    positions = [int(edge["node"]["position"]) for edge in data[field]["edges"]]
    if positions != [p for _, p in history.entries]:
        raise RuntimeError("PostGraphile sees other rows than carecoord")
    cursors = [None] + [str(edge["cursor"]) for edge in data[field]["edges"]]

    def make(pool: Pool) -> Call:
        async def call(i: int) -> None:
            variables = {"id": client, "after": cursors[history.start(i)]}
            page = await gql(pool, None, query, variables)
            if len(page[field]["edges"]) != PAGE:
                raise RuntimeError("a short page")

        return call

    return Reader("postgraphile", "PostGraphile v4", pg_url, make, Steps("postgraphile"))


def keyset_floor(db: AsyncConnectionPool, api_url: str, history: History) -> Reader:
    """The bare query over a pool of 8 connections: what any server's page costs at least."""
    client = history.client.client_id

    def make(_: Pool) -> Call:
        async def call(i: int) -> None:
            start = history.start(i)
            async with db.connection() as conn:
                if start == 0:
                    cur = await conn.execute(FIRST_SQL, (client, PAGE + 1))
                else:
                    at, position = history.entries[start - 1]
                    cur = await conn.execute(FLOOR_SQL, (client, at, position, PAGE + 1))
                if len(await cur.fetchall()) != PAGE + 1:
                    raise RuntimeError("a short page")

        return call

    return Reader("floor", "keyset SQL (floor)", api_url, make, Steps("floor"))


def report(bench: Bench, steps: dict[str, Steps]) -> None:
    ours = steps["carecoord"]
    flushed = steps["carecoord-flushed"]
    peer = steps.get("postgraphile")
    floor = steps["floor"]
    for name, found in steps.items():
        for step in found.steps:
            bench.summary.notes.append(
                f"reads {name} at {step.rate:.0f}/s: {step.latencies.summary()}"
            )
    served = f"timeline page, {bench.options.read_workers} API processes"
    peer_name = (
        "PostGraphile v4 (one Node process), same rows" if peer else "PostGraphile (not run)"
    )
    bench.summary.add(
        Figure(
            "reads",
            f"{served}: highest rate with p99 <= 50 ms",
            ours.held,
            "req/s",
            peer_name,
            peer.held if peer else None,
            Target("carecoord/PostGraphile >= 1.5", ">=", 1.5),
        ),
        Figure(
            "reads",
            f"{served}: highest rate with p99 <= 50 ms",
            ours.held,
            "req/s",
            "keyset SQL (floor)" + (", held at every rate" if floor.never_failed else ""),
            floor.held,
        ),
        Figure(
            "reads",
            "the same, each access-log entry flushed before its page",
            flushed.held,
            "req/s",
            peer_name,
            peer.held if peer else None,
        ),
    )
    for name, found in steps.items():
        if found.never_failed:
            bench.summary.notes.append(
                f"reads {name}: held p99 <= 50 ms at every rate offered; its figure is a floor"
            )
    for rate in bench.options.read_rates:
        mine = ours.at(rate)
        theirs = peer.at(rate) if peer else None
        if mine is None and theirs is None:
            continue
        bench.summary.add(
            Figure(
                "reads",
                f"p99 at {rate:.0f} req/s (p50 {_p50(mine)} vs {_p50(theirs)})",
                mine.p99 if mine else float("nan"),
                "ms",
                "PostGraphile p99",
                theirs.p99 if theirs else None,
            )
        )


def _p50(latencies: Any) -> str:
    return "-" if latencies is None else f"{latencies.p50:.1f}"
