"""What the bench asks the API, as the care team's clients would ask it."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import psycopg

from carecoord.bench.load import Connection, Pool
from carecoord.bench.platform import Deployment
from carecoord.bench.seed import Seeded, given_at
from carecoord.graphql.timeline import cursor_of

PAGE = 50

DOSE = "mutation($i: AdministerDoseInput!) { administerDose(input: $i) { id position } }"
TIMELINE = """query($id: UUID!, $after: String) {
  clientTimeline(clientId: $id, first: 50, after: $after) {
  edges { cursor node { position type summary occurredAt recordedAt recordedBy { id role } } }
  pageInfo { hasNextPage endCursor } } }"""
SUBSCRIBE = "subscription($id: UUID!) { timeline(clientId: $id) { position } }"


class Refused(RuntimeError):
    """The API answered with errors."""


async def gql(
    conn: Connection | Pool, token: str | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    body = await conn.post_json("/graphql", {"query": query, "variables": variables}, token)
    if body.get("errors"):
        raise Refused(str(body["errors"])[:300])
    data: dict[str, Any] = body["data"]
    return data


def dose_variables(client: Seeded) -> dict[str, Any]:
    """The client's next dose: a (day, slot) of its own, so every one is valid."""
    slot, moment = given_at(client.next_dose)
    client.next_dose += 1
    return {
        "i": {
            "clientId": str(client.client_id),
            "orderId": str(client.order_id),
            "amount": "25",
            "dosageForm": "oral solution",
            "slot": slot,
            "givenAt": moment.isoformat(),
        }
    }


async def dose(conn: Connection | Pool, token: str, client: Seeded) -> int:
    """Give the client's next dose; the position it was recorded at."""
    data = await gql(conn, token, DOSE, dose_variables(client))
    return int(data["administerDose"]["position"])


async def wait_projected(deployment: Deployment, timeout: float = 600) -> int:
    """Wait until every follower has caught up with the store; return the head position."""
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = (await client.get(f"{deployment.url}/health", headers=deployment.ops)).json()
            followers = health.get("followers") or {}
            if followers and all(f["lag"] == 0 for f in followers.values()):
                return int(health["storePosition"])
            await asyncio.sleep(0.1)
    raise RuntimeError("projections did not catch up")


@dataclass(frozen=True)
class PageStart:
    client_id: UUID
    after: str | None


def page_starts(
    database_url: str, clients: list[Seeded], count: int, seed: int = 16
) -> list[PageStart]:
    """``count`` random pages of 50 over random clients: each starts after a random entry
    of its client's timeline (or at its start), and has 50 entries after it."""
    rng = random.Random(seed)
    chosen = rng.sample(clients, min(len(clients), 200))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT client_id, occurred_at, position FROM timeline WHERE client_id = ANY(%s)"
            " ORDER BY client_id, occurred_at, position",
            ([c.client_id for c in chosen],),
        ).fetchall()
    entries: dict[UUID, list[tuple[datetime, int]]] = {}
    for client_id, occurred_at, position in rows:
        entries.setdefault(client_id, []).append((occurred_at, position))
    pages = []
    for _ in range(count):
        client_id = rng.choice(chosen).client_id
        mine = entries[client_id]
        start = rng.randrange(0, len(mine) - PAGE + 1)
        after = None
        if start:
            occurred_at, position = mine[start - 1]
            after = cursor_of({"occurred_at": occurred_at, "position": position})
        pages.append(PageStart(client_id, after))
    return pages


async def read_page(conn: Connection | Pool, token: str, page: PageStart) -> None:
    data = await gql(conn, token, TIMELINE, {"id": str(page.client_id), "after": page.after})
    if len(data["clientTimeline"]["edges"]) != PAGE:
        raise RuntimeError("a short page")
