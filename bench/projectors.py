"""Scale out the projection: how fast one projector process, and two sharing the read
models (``carecoord project --share K/N``), bring every read model up to a store they have
not seen, and the CPU each event costs them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

from carecoord.bench.options import Bench
from carecoord.bench.platform import SECRET, delete_streams, spawn, stop, wait_healthy
from carecoord.bench.seed import seed
from carecoord.bench.summary import Figure, Target
from carecoord.bench.usage import CpuUse, Processes, cpu_used
from carecoord.projections.models import names
from carecoord.services.runtime.embedded import free_port

CLIENTS = 200
EVENTS_PER_CLIENT = 100


@dataclass
class CaughtUp:
    projectors: int
    events: int
    seconds: float
    cpu: CpuUse

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@contextlib.asynccontextmanager
async def projecting(bench: Bench, database_url: str, parts: int) -> AsyncIterator[Processes]:
    """``parts`` projector processes sharing the read models, each once it answers."""
    tag = uuid.uuid4().hex[:8]
    stream = f"BENCH{tag}"
    logs = bench.data_dir / "logs" / tag
    logs.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen[bytes]] = []
    try:
        for part in range(1, parts + 1):
            port = free_port()
            env = dict(
                os.environ,
                DATABASE_URL=database_url,
                NATS_URL=bench.nats_url,
                CARECOORD_SUBJECT_ROOT=f"bench{tag}",
                CARECOORD_STREAM_NAME=stream,
                CARECOORD_JWT_SECRET=SECRET,
                CARECOORD_DATA_DIR=str(bench.data_dir),
                CARECOORD_METRICS_PORT=str(port),
            )
            share = ["--share", f"{part}/{parts}"]
            started.append(spawn(["project", *share], env, logs / f"project-{part}.log"))
            await wait_healthy(f"http://127.0.0.1:{port}", any_answer=True)
        dbname = str(conninfo_to_dict(database_url).get("dbname", ""))
        yield Processes({f"projector-{k}": p.pid for k, p in enumerate(started, 1)}, dbname)
    finally:
        stop(started)
        # The projectors declare the stream at start: it goes with them, as a deployment's.
        await delete_streams(bench.nats_url, stream, f"{stream}_ANCHORS")


async def lowest_position(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT coalesce(min(position), 0) FROM follower_positions WHERE name = ANY(%s)",
            (names(),),
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0


async def caught_up(bench: Bench, parts: int) -> CaughtUp:
    """Events per second from the moment every projector answers until every model is at
    the head of a freshly seeded store."""
    with bench.database() as url:
        seeded = await asyncio.to_thread(
            seed, url, clients=CLIENTS, events_per_client=EVENTS_PER_CLIENT, label="seeding"
        )
        head = sum(s.events for s in seeded)
        async with projecting(bench, url, parts) as processes:
            with cpu_used(processes) as cpu:
                start, begun = time.perf_counter(), await lowest_position(url)
                while (at := await lowest_position(url)) < head:  # noqa: ASYNC110  (other processes)
                    await asyncio.sleep(0.05)
                seconds = time.perf_counter() - start
    return CaughtUp(parts, at - begun, seconds, cpu)


async def run(bench: Bench) -> None:
    one, two = [await caught_up(bench, parts) for parts in (1, 2)]
    for found in (one, two):
        per_event = 1e6 * found.cpu.platform / max(found.events, 1)
        bench.say(
            f"scaleout: {found.projectors} projector(s): {found.rate:8.0f} events/s"
            f" to every read model ({per_event:.0f} us CPU an event)"
        )
    bench.summary.add(
        Figure(
            "scaleout",
            "projection catch-up, 2 projectors sharing the models",
            two.rate,
            "events/s",
            "1 projector",
            one.rate,
            Target("more processes >= 1 process", ">=", 1.0),
        )
    )
