"""Commands: doses through GraphQL end to end (HTTP, token, access gate, decision, group
commit) against the bare eventsourcing library's load-decide-save on the same PostgreSQL,
one thread and eight."""

from __future__ import annotations

import asyncio

from carecoord.bench import baselines
from carecoord.bench.load import Connection, closed_for
from carecoord.bench.operations import dose, wait_projected
from carecoord.bench.options import Bench
from carecoord.bench.platform import Deployment
from carecoord.bench.seed import NURSE, SETUP_EVENTS, Seeded, seed
from carecoord.bench.summary import Figure, Target
from carecoord.bench.usage import CpuUse, cpu_used
from carecoord.events import Role

CLIENTS = 200


async def doses_closed_loop(
    deployment: Deployment, clients: list[Seeded], workers: int, seconds: float
) -> tuple[float, int]:
    """``workers`` nurses dosing as fast as answers come; (commands/s, commands)."""
    token = deployment.token(Role.NURSE, NURSE)
    conns = [await Connection.open(deployment.url) for _ in range(workers)]

    async def call(w: int, k: int) -> None:
        await dose(conns[w], token, clients[k % len(clients)])

    try:
        return await closed_for(workers, seconds, call)
    finally:
        for conn in conns:
            conn.close()


async def graphql_commands(bench: Bench, url: str) -> tuple[float, int, CpuUse]:
    options = bench.options
    clients = seed(url, clients=CLIENTS, events_per_client=SETUP_EVENTS, label="seeding")
    async with bench.platform(url) as deployment:
        await wait_projected(deployment)
        await doses_closed_loop(deployment, clients, options.concurrency, options.warm_up)
        async with bench.profiled("commands", deployment.processes):
            with cpu_used(deployment.processes) as cpu:
                rate, count = await doses_closed_loop(
                    deployment, clients, options.concurrency, options.seconds
                )
        await wait_projected(deployment)
    return rate, count, cpu


async def run(bench: Bench) -> None:
    options = bench.options
    n = options.library_commands
    with bench.database() as url:
        one = await asyncio.to_thread(baselines.library_commands, url, CLIENTS, n // 2, 1)
    bench.say(f"commands: bare library, 1 thread   {one:8.0f} commands/s")
    with bench.database() as url:
        eight = await asyncio.to_thread(baselines.library_commands, url, CLIENTS, n, 8)
    bench.say(f"commands: bare library, 8 threads  {eight:8.0f} commands/s")
    with bench.database() as url:
        raw = await asyncio.to_thread(baselines.raw_inserts, url, n, 8)
    bench.say(f"commands: raw INSERT, 8 threads    {raw:8.0f} rows/s")
    with bench.database() as url:
        api, count, cpu = await graphql_commands(bench, url)
    bench.say(
        f"commands: GraphQL end to end        {api:8.0f} commands/s"
        f" ({options.concurrency} concurrent; CPU per command: platform"
        f" {1000 * cpu.platform / count:.2f} ms, PostgreSQL {1000 * cpu.postgres / count:.2f} ms)"
    )
    better = max(one, eight)
    bench.summary.add(
        Figure(
            "commands",
            "doses through GraphQL, end to end",
            api,
            "cmd/s",
            f"bare library, better of 1/8 threads ({'1' if one >= eight else '8'})",
            better,
            Target("a/b >= 2", ">=", 2.0),
        ),
        Figure("commands", "doses through GraphQL", api, "cmd/s", "bare library, 1 thread", one),
        Figure("commands", "doses through GraphQL", api, "cmd/s", "bare library, 8 threads", eight),
        Figure("commands", "doses through GraphQL", api, "cmd/s", "raw INSERT rows, 8 thr.", raw),
        Figure(
            "commands",
            "CPU per command: API + relay + projector",
            1000 * cpu.platform / count,
            "ms",
            note=", ".join(f"{k} {1000 * v / count:.2f}" for k, v in cpu.seconds.items()),
        ),
        Figure("commands", "CPU per command: PostgreSQL", 1000 * cpu.postgres / count, "ms"),
    )
