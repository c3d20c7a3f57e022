"""Scale out: commands/s and timeline reads/s with 1, 2 and 4 API processes
(``carecoord api --workers N``) on the same store, projection with 1 and 2 projector
processes (``bench/projectors.py``), and the CPU each one costs, so the gain on a machine
with more cores than this one can be read off."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from carecoord.bench import projectors
from carecoord.bench.load import Connection, closed_for
from carecoord.bench.operations import PageStart, page_starts, read_page, wait_projected
from carecoord.bench.options import Bench
from carecoord.bench.seed import PRESCRIBER, seed
from carecoord.bench.summary import Figure, Target
from carecoord.bench.usage import CpuUse, cpu_used
from carecoord.bench.writes import doses_closed_loop
from carecoord.events import Role

CLIENTS = 200
EVENTS_PER_CLIENT = 60
READERS = 32


@dataclass
class Served:
    workers: int
    commands: float
    command_cpu: CpuUse
    command_count: int
    reads: float
    read_cpu: CpuUse
    read_count: int


async def run(bench: Bench) -> None:
    options = bench.options
    served: list[Served] = []
    with bench.database() as url:
        clients = await asyncio.to_thread(
            seed, url, clients=CLIENTS, events_per_client=EVENTS_PER_CLIENT, label="seeding"
        )
        pages: list[PageStart] = []
        for workers in options.scaleout_workers:
            async with bench.platform(url, api_workers=workers) as deployment:
                await wait_projected(deployment)
                pages = pages or await asyncio.to_thread(page_starts, url, clients, 100_000)
                token = deployment.token(Role.PRESCRIBER, PRESCRIBER)
                conns = [await Connection.open(deployment.url) for _ in range(READERS)]

                async def read(
                    w: int,
                    i: int,
                    conns: list[Connection] = conns,
                    token: str = token,
                    pages: list[PageStart] = pages,
                ) -> None:
                    await read_page(conns[w], token, pages[i % len(pages)])

                await closed_for(READERS, options.warm_up, read)  # warm up every worker
                async with bench.profiled(f"scaleout-reads-{workers}", deployment.processes):
                    with cpu_used(deployment.processes) as read_cpu:
                        reads, read_count = await closed_for(READERS, options.seconds, read)
                for conn in conns:
                    conn.close()
                # Each process reads each record whole once before it caches it: the warm-up
                # grows with the processes, so a cold cache is not measured as a fight.
                warm_up = options.warm_up * workers
                await doses_closed_loop(deployment, clients, options.concurrency, warm_up)
                async with bench.profiled(f"scaleout-commands-{workers}", deployment.processes):
                    with cpu_used(deployment.processes) as command_cpu:
                        commands, command_count = await doses_closed_loop(
                            deployment, clients, options.concurrency, options.seconds
                        )
                await wait_projected(deployment)
            one = Served(workers, commands, command_cpu, command_count, reads, read_cpu, read_count)
            served.append(one)
            bench.say(
                f"scaleout: {workers} API process(es): {commands:6.0f} commands/s"
                f" (CPU/command {_ms(command_cpu, command_count)}),"
                f" {reads:6.0f} reads/s (CPU/read {_ms(read_cpu, read_count)})"
            )
    report(bench, served)
    await projectors.run(bench)


def _ms(cpu: CpuUse, count: int) -> str:
    return (
        f"platform {1000 * cpu.platform / max(count, 1):.2f} ms"
        f" + PostgreSQL {1000 * cpu.postgres / max(count, 1):.2f} ms"
    )


def _parts(cpu: CpuUse, count: int) -> str:
    """Each process's share, so an API process that costs more per command shows as such."""
    return ", ".join(f"{k} {1000 * v / max(count, 1):.2f}" for k, v in cpu.seconds.items())


def report(bench: Bench, served: list[Served]) -> None:
    base = served[0]
    never_slower = Target("more processes >= 1 process", ">=", 1.0)
    for one in served:
        bench.summary.notes.append(
            f"scaleout {one.workers} API: CPU per command"
            f" {_ms(one.command_cpu, one.command_count)}"
            f" ({_parts(one.command_cpu, one.command_count)} ms);"
            f" CPU per read {_ms(one.read_cpu, one.read_count)}"
        )
    for one in served[1:]:
        bench.summary.add(
            Figure(
                "scaleout",
                f"commands, {one.workers} API processes",
                one.commands,
                "cmd/s",
                f"{base.workers} API process",
                base.commands,
                never_slower,
            ),
            Figure(
                "scaleout",
                f"timeline reads, {one.workers} API processes",
                one.reads,
                "req/s",
                f"{base.workers} API process",
                base.reads,
                never_slower,
            ),
        )
    for one in served:
        bench.summary.add(
            Figure(
                "scaleout",
                f"CPU per command, {one.workers} API (platform + PostgreSQL)",
                1000
                * (one.command_cpu.platform + one.command_cpu.postgres)
                / max(one.command_count, 1),
                "ms",
            ),
            Figure(
                "scaleout",
                f"CPU per read, {one.workers} API (platform + PostgreSQL)",
                1000 * (one.read_cpu.platform + one.read_cpu.postgres) / max(one.read_count, 1),
                "ms",
            ),
        )
