"""Scale with the store: the same timeline page and the same dose command on a store of
10,000 events and on a large one (1,000,000 events over 10,000 clients with ``--only
scale``), each client shaped alike (100 events), and each process's memory over the run.

The large store's read models are built by a rebuild of every model in one pass, timed
with progress; that is also the run's rebuild figure, against a raw COPY of the same
stored rows. The small store's are built by the live projector catching up.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from carecoord.bench import rebuilds
from carecoord.bench.load import Latencies, Pool, open_loop
from carecoord.bench.operations import (
    PageStart,
    dose,
    page_starts,
    read_page,
    wait_projected,
)
from carecoord.bench.options import Bench
from carecoord.bench.seed import NURSE, PRESCRIBER, Seeded, seed
from carecoord.bench.summary import Figure, Target
from carecoord.bench.usage import MemoryTrace, memory_traced
from carecoord.events import Role

PROBED_CLIENTS = 100
PROBE_RATE = 20.0
"""Requests per second while measuring latency: low, so the figure is the work, not a queue."""


@dataclass
class Probed:
    events: int
    pages: Latencies
    doses: Latencies
    memory: MemoryTrace
    steady_from: float
    """Seconds into the memory trace when the measured phase began (warm by then)."""


async def probe(bench: Bench, url: str, seeded: list[Seeded], events: int) -> Probed:
    """Pages, then doses, then both at once, at a low rate; memory sampled throughout.

    The same number of clients is used on either store (each warmed up first), so what
    differs is the size of the store, not how many first requests find nothing cached.
    """
    seconds = bench.options.probe_seconds
    clients = random.Random(16).sample(seeded, min(PROBED_CLIENTS, len(seeded)))
    started = time.monotonic()
    async with bench.platform(url) as deployment, memory_traced(deployment.processes) as memory:
        await wait_projected(deployment)
        pages = await asyncio.to_thread(page_starts, url, clients, 100_000)
        first_pages = [PageStart(c.client_id, None) for c in clients]
        reader = deployment.token(Role.PRESCRIBER, PRESCRIBER)
        nurse = deployment.token(Role.NURSE, NURSE)
        pool = Pool(deployment.url)
        order = iter(range(1 << 62))

        async def page(i: int) -> None:
            await read_page(pool, reader, pages[i % len(pages)])

        async def dosing(_: int) -> None:
            await dose(pool, nurse, clients[next(order) % len(clients)])

        for first in first_pages:  # every client read and dosed once
            await read_page(pool, reader, first)
        for _ in clients:
            await dosing(0)
        steady_from = time.monotonic() - started
        read = await open_loop(PROBE_RATE, seconds, page)
        bench.say(f"scale: {events:>9,} events  timeline page  {read.summary()}")
        dosed = await open_loop(PROBE_RATE, seconds, dosing)
        bench.say(f"scale: {events:>9,} events  dose command   {dosed.summary()}")
        await asyncio.gather(  # both at once, for memory over a longer run
            open_loop(PROBE_RATE, seconds, page),
            open_loop(PROBE_RATE, seconds, dosing),
        )
        pool.close()
    return Probed(events, read, dosed, memory, steady_from)


async def run(bench: Bench) -> None:
    options = bench.options
    per = options.per_client
    small_clients = max(1, options.small_store // per)
    with bench.database() as url:
        bench.say(f"scale: seeding {options.small_store:,} events ({small_clients} clients)")
        clients = await asyncio.to_thread(
            seed, url, clients=small_clients, events_per_client=per, label="small store"
        )
        small = await probe(bench, url, clients, options.small_store)

    big_clients = max(1, options.scale_events // per)
    with bench.database() as url:
        bench.say(
            f"scale: seeding {options.scale_events:,} events ({big_clients:,} clients,"
            f" {per} events each)"
        )
        started = time.perf_counter()
        clients = await asyncio.to_thread(
            seed, url, clients=big_clients, events_per_client=per, label="large store"
        )
        seeded_in = time.perf_counter() - started
        bench.say(
            f"scale: seeded in {seeded_in:.0f} s ({options.scale_events / seeded_in:,.0f}"
            " events/s); rebuilding every read model"
        )
        await rebuilds.measure(bench, url)
        big = await probe(bench, url, clients, options.scale_events)
    report(bench, small, big)


def report(bench: Bench, small: Probed, big: Probed) -> None:
    at = f"at {big.events:,} events"
    peer = f"at {small.events:,} events"
    bound = Target("big/small <= 1.2", "<=", 1.2)
    bench.summary.add(
        Figure("scale", f"timeline page p50 {at}", big.pages.p50, "ms", peer, small.pages.p50,
               bound),
        Figure("scale", f"timeline page p99 {at}", big.pages.p99, "ms", peer, small.pages.p99),
        Figure("scale", f"dose command p50 {at}", big.doses.p50, "ms", peer, small.doses.p50,
               bound),
        Figure("scale", f"dose command p99 {at}", big.doses.p99, "ms", peer, small.doses.p99),
    )  # fmt: skip
    for part in big.memory.parts():
        first, low, high, widest = big.memory.drift(part, big.steady_from)
        bench.summary.add(
            Figure(
                "scale",
                f"{part} RSS, widest change over the run {at}"
                f" ({first / 2**20:.0f} MiB first, {low / 2**20:.0f}-{high / 2**20:.0f} MiB)",
                widest,
                "%",
                target=Target("within 10 %", "<=", 10.0, on_ratio=False),
            )
        )
        small_first = small.memory.drift(part, small.steady_from)[0]
        bench.summary.notes.append(
            f"scale: {part} RSS {small_first / 2**20:.0f} MiB at {small.events:,} events,"
            f" {first / 2**20:.0f} MiB at {big.events:,}"
        )
