"""Freshness: how long after a mutation's response its entry is pushed to a subscriber.

Twenty care-team members each hold a timeline subscription (graphql-transport-ws) on
their own client; doses for those clients arrive open-loop at each rate in turn, and each
push is matched to its mutation by the position both carry. The bench listens to the
projector's announcements too, which splits each wait in two: until the timeline model was
projected past the position, and from there to the push (the API's fan-out)."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import psycopg
import websockets

from carecoord.bench.load import LIMIT_MS, Latencies, Pool, Step, Steps, open_loop
from carecoord.bench.operations import SUBSCRIBE, dose, wait_projected
from carecoord.bench.options import Bench
from carecoord.bench.platform import Deployment
from carecoord.bench.seed import NURSE, PRESCRIBER, Seeded, seed
from carecoord.bench.summary import Figure, Target
from carecoord.events import Role
from carecoord.projections import timeline
from carecoord.projections.projector import PROJECTED_CHANNEL


class Subscribers:
    """One websocket per watched client, each recording when each position arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.sockets: list[websockets.ClientConnection] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, deployment: Deployment, clients: list[Seeded], token: str) -> None:
        url = deployment.url.replace("http", "ws", 1) + "/graphql"
        for client in clients:
            ws = await websockets.connect(
                url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
            )
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            await ws.recv()
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": SUBSCRIBE,
                            "variables": {"id": str(client.client_id)},
                        },
                    }
                )
            )
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._listen(ws)))

    async def _listen(self, ws: websockets.ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "next":
                    position = message["payload"]["data"]["timeline"]["position"]
                    self.arrived[int(position)] = time.perf_counter()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for ws in self.sockets:
            await ws.close()


class Announcements:
    """When the projector announced the timeline model at each position, as the API hears it
    (``projector.PROJECTED_CHANNEL``); positions only move forward."""

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.times: list[float] = []
        self.task: asyncio.Task[None] | None = None

    async def open(self, database_url: str) -> None:
        conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
        await conn.execute(f"LISTEN {PROJECTED_CHANNEL}")
        self.task = asyncio.create_task(self._listen(conn))

    async def _listen(self, conn: psycopg.AsyncConnection) -> None:
        prefix = f"{timeline.NAME}:"
        async with conn:
            async for note in conn.notifies():
                if note.payload.startswith(prefix):
                    self.positions.append(int(note.payload[len(prefix) :]))
                    self.times.append(time.perf_counter())

    def at(self, position: int) -> float | None:
        """When the timeline was first announced at or past ``position``."""
        found = bisect.bisect_left(self.positions, position)
        return self.times[found] if found < len(self.times) else None

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Waits:
    """One rate's waits after each mutation's response: to the push, split at the
    projector's announcement."""

    to_push: Latencies
    to_projected: Latencies
    projected_to_push: Latencies


async def run(bench: Bench) -> None:
    options = bench.options
    with bench.database() as url:
        clients = seed(url, clients=options.subscribers, events_per_client=12, label="seeding")
        async with bench.platform(url) as deployment:
            await wait_projected(deployment)
            nurse = deployment.token(Role.NURSE, NURSE)
            watching = Subscribers()
            await watching.open(deployment, clients, deployment.token(Role.PRESCRIBER, PRESCRIBER))
            announced = Announcements()
            await announced.open(url)
            await asyncio.sleep(0.5)
            pool = Pool(deployment.url)
            warm = iter(range(1 << 62))

            async def doses(_: int) -> int:
                return await dose(pool, nurse, clients[next(warm) % len(clients)])

            await open_loop(options.push_rates[0], options.warm_up, doses)  # every path once
            await asyncio.sleep(0.5)
            async with bench.profiled("freshness", deployment.processes):
                from_response = await at_each_rate(bench, doses, watching, announced)
            pool.close()
            await watching.close()
            await announced.close()
    report(bench, from_response)


async def at_each_rate(
    bench: Bench,
    doses: Callable[[int], Awaitable[int]],
    watching: Subscribers,
    announced: Announcements,
) -> dict[float, Waits]:
    """Doses open-loop at each rate; each one's time from response (and send) to push."""
    options = bench.options
    from_response: dict[float, Waits] = {}
    for rate in options.push_rates:
        answered: dict[int, tuple[float, float]] = {}

        async def call(k: int, answered: dict[int, tuple[float, float]] = answered) -> None:
            sent = time.perf_counter()
            position = await doses(k)
            answered[position] = (sent, time.perf_counter())

        sent_at = await open_loop(rate, options.seconds, call)
        await asyncio.sleep(options.settle)
        after_response, after_send = Latencies(), Latencies()
        waits = Waits(after_response, Latencies(), Latencies())
        after_response.errors = after_send.errors = sent_at.errors
        after_response.first_error = sent_at.first_error
        for position, (sent, answer) in answered.items():
            pushed = watching.arrived.get(position)
            if pushed is None:
                after_response.failed(TimeoutError("no push"))
                after_send.failed(TimeoutError("no push"))
                continue
            after_response.add(max(0.0, pushed - answer))
            after_send.add(pushed - sent)
            projected = announced.at(position)
            if projected is not None:
                waits.to_projected.add(max(0.0, projected - answer))
                waits.projected_to_push.add(max(0.0, pushed - projected))
        from_response[rate] = waits
        bench.say(
            f"freshness: {rate:4.0f} doses/s  response -> push {after_response.summary()}"
            f"  (sent -> push p99 {after_send.p99:.0f} ms; response -> projected p99"
            f" {waits.to_projected.p99:.0f} ms, projected -> push p99"
            f" {waits.projected_to_push.p99:.0f} ms)"
        )
        if after_response.p99 > 5000:
            break
    return from_response


def report(bench: Bench, from_response: dict[float, Waits]) -> None:
    held = Steps("push", [Step(rate, waits.to_push) for rate, waits in from_response.items()])
    at_100 = from_response.get(100.0)
    bench.summary.add(
        Figure(
            "freshness",
            f"response -> push p99 at 100 cmd/s, {bench.options.subscribers} subscribers",
            at_100.to_push.p99 if at_100 else float("nan"),
            "ms",
            target=Target(f"<= {LIMIT_MS:.0f} ms", "<=", LIMIT_MS, on_ratio=False),
            note=(
                f"p50 {at_100.to_push.p50:.1f} ms; projected p99"
                f" {at_100.to_projected.p99:.1f} ms, then push p99"
                f" {at_100.projected_to_push.p99:.1f} ms"
                if at_100
                else ""
            ),
        ),
        Figure(
            "freshness",
            "highest rate with push p99 <= 50 ms",
            held.held,
            "cmd/s",
        ),
    )
    for rate, waits in from_response.items():
        bench.summary.add(
            Figure(
                "freshness",
                f"push p99 at {rate:.0f} cmd/s (p50 {waits.to_push.p50:.1f} ms)",
                waits.to_push.p99,
                "ms",
                note=(
                    f"projected p99 {waits.to_projected.p99:.1f} ms,"
                    f" then push p99 {waits.projected_to_push.p99:.1f} ms"
                ),
            )
        )
