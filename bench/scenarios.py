"""The measurements: commands end to end, push latency, timeline queries, rebuild."""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import websockets

from carecoord.bench.load import Connection, Latencies, Pool, closed_loop, open_loop
from carecoord.bench.platform import Deployment
from carecoord.events import Actor, Role, Schedule
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.commands import CommandBus
from carecoord.services.medication.commands import administer_dose, prescribe
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.stamp import Stamp
from carecoord.services.store import EventStore, store_env

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"
JOIN = """mutation($i: AssignCareTeamMemberInput!) {
  assignCareTeamMember(input: $i) { id position } }"""
PRESCRIBE = "mutation($i: PrescribeInput!) { prescribeMedication(input: $i) { id position } }"
DOSE = "mutation($i: AdministerDoseInput!) { administerDose(input: $i) { id position } }"
TIMELINE = """query($id: UUID!, $after: String) {
  clientTimeline(clientId: $id, first: 50, after: $after) {
  edges { cursor node { position type summary occurredAt recordedAt recordedBy { id role } } }
  pageInfo { hasNextPage endCursor } } }"""
SUBSCRIBE = "subscription($id: UUID!) { timeline(clientId: $id) { position } }"

START = date(2000, 1, 1)
PER_DAY = 4


def dose_input(client: str, order: str, n: int) -> dict[str, Any]:
    """The n-th dose for a client: a distinct (day, slot), so every one is valid."""
    day, slot = divmod(n, PER_DAY)
    given = datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC)
    return {
        "clientId": client,
        "orderId": order,
        "amount": "25",
        "dosageForm": "oral solution",
        "slot": slot + 1,
        "givenAt": (given + timedelta(hours=8 + slot)).isoformat(),
    }


async def gql(
    conn: Connection | Pool, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    body = await conn.post_json("/graphql", {"query": query, "variables": variables}, token)
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    data: dict[str, Any] = body["data"]
    return data


class Clients:
    """Enrolled clients with a methadone order each, ready for dose commands."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.admin = deployment.token(Role.PROGRAM_ADMIN, "admin-bench")
        self.prescriber = deployment.token(Role.PRESCRIBER, "dr-bench")
        self.nurse = deployment.token(Role.NURSE, "nurse-bench")
        self.orders: list[tuple[str, str]] = []
        self.next_dose: dict[str, int] = {}

    async def enroll(self, count: int) -> None:
        conn = await Connection.open(self.deployment.url)
        for i in range(count):
            # Enrolled before START: a dose dated before the client's enrolment is refused.
            enrolled = datetime.combine(START - timedelta(days=1), datetime.min.time(), UTC)
            admitted = {"displayName": f"bench {i}", "program": "bench",
                        "occurredAt": enrolled.isoformat()}  # fmt: skip
            client = await gql(conn, self.admin, ENROLL, {"i": admitted})
            cid = client["enrollClient"]["id"]
            for member, role in (("dr-bench", "PRESCRIBER"), ("nurse-bench", "NURSE")):
                await gql(
                    conn,
                    self.admin,
                    JOIN,
                    {"i": {"clientId": cid, "memberId": member, "role": role}},
                )
            order = await gql(
                conn,
                self.prescriber,
                PRESCRIBE,
                {
                    "i": {
                        "clientId": cid,
                        "medication": "methadone",
                        "dose": str(25 * PER_DAY),
                        "unit": "mg",
                        "route": "oral",
                        "start": START.isoformat(),
                        "schedule": {"timesPerDay": PER_DAY},
                    }
                },
            )
            self.orders.append((cid, order["prescribeMedication"]["id"]))
            self.next_dose[cid] = 0
        conn.close()

    def dose(self, k: int) -> tuple[str, dict[str, Any]]:
        client, order = self.orders[k % len(self.orders)]
        n = self.next_dose[client]
        self.next_dose[client] = n + 1
        return client, {"i": dose_input(client, order, n)}


async def commands_through_graphql(clients: Clients, count: int, workers: int) -> float:
    conns = [await Connection.open(clients.deployment.url) for _ in range(workers)]

    async def call(w: int, k: int) -> None:
        _, variables = clients.dose(k)
        await gql(conns[w], clients.nurse, DOSE, variables)

    rate = await closed_loop(workers, count, call)
    for conn in conns:
        conn.close()
    return rate


async def push_latency(
    clients: Clients, rate: float, seconds: float
) -> tuple[Latencies, Latencies]:
    """Open-loop doses at ``rate``; time from response (and from send) to the subscriber push."""
    watched = clients.orders[:20]
    arrivals: dict[int, float] = {}
    sockets = []
    for client, _ in watched:
        ws = await websockets.connect(
            clients.deployment.url.replace("http", "ws") + "/graphql",
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        )
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {clients.nurse}"}}
            )
        )
        await ws.recv()
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": client}},
                }
            )
        )
        sockets.append(ws)

    async def listen(ws: websockets.ClientConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                arrivals[message["payload"]["data"]["timeline"]["position"]] = time.perf_counter()

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    await asyncio.sleep(0.5)
    pool = await Pool.open(clients.deployment.url, 32)
    sent: dict[int, tuple[float, float]] = {}

    async def call(k: int) -> None:
        client, order = watched[k % len(watched)]
        n = clients.next_dose[client]
        clients.next_dose[client] = n + 1
        t0 = time.perf_counter()
        data = await gql(pool, clients.nurse, DOSE, {"i": dose_input(client, order, n)})
        sent[data["administerDose"]["position"]] = (t0, time.perf_counter())

    await open_loop(rate, int(rate * seconds), call)
    await asyncio.sleep(1.0)
    for task in listeners:
        task.cancel()
    for ws in sockets:
        await ws.close()
    pool.close()
    from_response, from_send = Latencies(), Latencies()
    for position, (t0, t1) in sent.items():
        if position in arrivals:
            from_response.add(max(0.0, arrivals[position] - t1))
            from_send.add(arrivals[position] - t0)
    return from_response, from_send


def seed_history(database_url: str, events: int) -> UUID:
    """One client with ``events`` timeline entries, written straight through the command bus."""
    store = EventStore(env=store_env_for(database_url))
    bus = CommandBus(store, batch_max=500)
    admin = Stamp(Actor(id="admin-seed", role=Role.PROGRAM_ADMIN))
    doctor = Stamp(Actor(id="dr-seed", role=Role.PRESCRIBER))
    nurse = Stamp(Actor(id="nurse-seed", role=Role.NURSE))
    enrolled = datetime.combine(START - timedelta(days=1), datetime.min.time(), UTC)
    client = bus.execute_sync(
        enroll_client(admin, display_name="long history", program="bench", occurred_at=enrolled)
    ).result
    bus.execute_sync(
        assign_member(admin, client_id=client, member_id="dr-bench", role=Role.PRESCRIBER)
    )
    order = bus.execute_sync(
        prescribe(
            doctor,
            client_id=client,
            order=NewOrder(
                "methadone",
                Decimal(25 * PER_DAY),
                "mg",
                "oral",
                Schedule(times_per_day=PER_DAY),
                START,
            ),
        )
    ).result.id
    futures = []
    for n in range(events - 4):
        day, slot = divmod(n, PER_DAY)
        given = datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC)
        futures.append(
            bus.submit(
                administer_dose(
                    nurse,
                    client_id=client,
                    dose=GivenDose(
                        order, Decimal(25), "oral solution", slot + 1, given + timedelta(hours=8)
                    ),
                )
            )
        )
    for future in futures:
        future.result()
    bus.close()
    store.close()
    return client


def store_env_for(database_url: str) -> dict[str, str]:
    from carecoord.services.settings import Settings

    return store_env(Settings(database_url=database_url))


async def timeline_queries(
    deployment: Deployment, client: UUID, rate: float, seconds: float
) -> Latencies:
    token = deployment.token(Role.PRESCRIBER, "dr-bench")
    walker = await Connection.open(deployment.url)
    cursors: list[str | None] = [None]
    after = None
    while True:
        page = await gql(walker, token, TIMELINE, {"id": str(client), "after": after})
        info = page["clientTimeline"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        cursors.append(after)
    walker.close()
    pool = await Pool.open(deployment.url, 32)
    latencies = Latencies()
    rng = random.Random(1)

    async def call(_: int) -> None:
        t0 = time.perf_counter()
        await gql(pool, token, TIMELINE, {"id": str(client), "after": rng.choice(cursors)})
        latencies.add(time.perf_counter() - t0)

    await open_loop(rate, int(rate * seconds), call)
    pool.close()
    return latencies


async def wait_projected(deployment: Deployment, timeout: float = 120) -> int:
    """Wait until every follower has caught up with the store; return the head position."""
    import httpx

    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = (await client.get(f"{deployment.url}/health")).json()
            if health["followers"] and all(f["lag"] == 0 for f in health["followers"].values()):
                return int(health["storePosition"])
            await asyncio.sleep(0.2)
    raise RuntimeError("projections did not catch up")
