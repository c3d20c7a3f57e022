"""Reads: a timeline page (the first 50 entries after a random cursor) of a client with
10,000 events, through carecoord's GraphQL (a real token: the access decision and the
access-log entry are part of every request), through PostGraphile v4 over the same rows,
and as the bare keyset query (the floor). One open-loop generator drives all three at the
same stepped rates, starting pages at the same entries in the same order."""

from __future__ import annotations

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
from carecoord.bench.load import Pool, Steps, stepped
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


async def run(bench: Bench) -> None:
    options = bench.options
    bench.say(f"reads: seeding a client with {options.history:,} events")
    with bench.database() as url:
        client = seed(url, clients=1, events_per_client=options.history, label="seeding")[0]
        async with bench.platform(url) as deployment:
            await wait_projected(deployment)
            with psycopg.connect(url) as conn:
                entries = conn.execute(
                    "SELECT occurred_at, position FROM timeline WHERE client_id = %s"
                    " ORDER BY occurred_at, position",
                    (client.client_id,),
                ).fetchall()
                found = conn.execute(
                    "SELECT generation FROM projection_generations WHERE name = 'timeline'"
                ).fetchone()
            history = History(
                client, entries, int(found[0]) if found else 1, starts(len(entries), 100_000)
            )
            steps = {"carecoord": await through_carecoord(bench, deployment, history)}
            peer = await through_postgraphile(bench, url, deployment.logs, history)
            if peer is not None:
                steps["postgraphile"] = peer
            steps["floor"] = await keyset_floor(bench, url, deployment.url, history)
    report(bench, steps)


async def through_carecoord(bench: Bench, deployment: Deployment, history: History) -> Steps:
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

    return await measure(bench, "carecoord GraphQL", deployment.url, make)


async def through_postgraphile(
    bench: Bench, url: str, logs: Path, history: History
) -> Steps | None:
    command = postgraphile.installed(bench.say)
    if command is None:
        bench.say("reads: PostGraphile could not be installed (npm, node); no peer")
        return None
    generation = history.generation
    client = str(history.client.client_id)
    field = postgraphile.connection_field(generation)
    query = postgraphile.timeline_query(generation)
    async with postgraphile.serving(command, url, logs / "postgraphile.log") as pg_url:
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

        return await measure(bench, "PostGraphile v4", pg_url, make)


async def keyset_floor(bench: Bench, url: str, api_url: str, history: History) -> Steps:
    """The bare query over a pool of 8 connections: what any server's page costs at least."""
    client = history.client.client_id
    async with AsyncConnectionPool(url, min_size=8, max_size=8, open=False) as db:
        await db.open(wait=True)

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

        return await measure(bench, "keyset SQL (floor)", api_url, make)


async def measure(bench: Bench, target: str, url: str, make: Callable[[Pool], Call]) -> Steps:
    """Warm the target up, then step the offered rate until it stops keeping up."""
    options = bench.options
    warm = Pool(url)
    try:
        warm_call = make(warm)
        for i in range(200):
            await warm_call(i)
    finally:
        warm.close()
    before = resource.getrusage(resource.RUSAGE_SELF)
    pools = [Pool(url)]
    current = [make(pools[0])]

    async def call(i: int) -> None:
        await current[0](i)

    def line(text: str) -> None:
        bench.say(f"reads: {text}")
        pools.append(Pool(url))  # one per rate: no connection idles into a server's timeout
        current[0] = make(pools[-1])

    try:
        steps = await stepped(target, options.read_rates, options.seconds, call, report=line)
    finally:
        for pool in pools:
            pool.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    seconds = options.seconds * len(steps.steps)
    bench.say(f"reads: the load generator used {100 * used / seconds:.0f}% of a core")
    return steps


def report(bench: Bench, steps: dict[str, Steps]) -> None:
    ours = steps["carecoord"]
    peer = steps.get("postgraphile")
    floor = steps["floor"]
    for name, found in steps.items():
        for step in found.steps:
            bench.summary.notes.append(
                f"reads {name} at {step.rate:.0f}/s: {step.latencies.summary()}"
            )
    bench.summary.add(
        Figure(
            "reads",
            "timeline page: highest rate with p99 <= 50 ms",
            ours.held,
            "req/s",
            "PostGraphile v4, same rows" if peer else "PostGraphile (not run)",
            peer.held if peer else None,
            Target("carecoord/PostGraphile >= 1.5", ">=", 1.5),
        ),
        Figure(
            "reads",
            "timeline page: highest rate with p99 <= 50 ms",
            ours.held,
            "req/s",
            "keyset SQL (floor)" + (", held at every rate" if floor.never_failed else ""),
            floor.held,
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
