"""One user's timeline subscriptions do not hold back everyone else's pushes: the feed hands
at most ``IN_FLIGHT_PER_SOCKET`` of a socket's subscriptions, and ``IN_FLIGHT_PER_READER`` of
a user's across their sockets, a batch they have not pushed. It
handed them all at once, so at one user's allowance (20 sockets of 100 subscriptions)
another user's push waited behind 2,000 of theirs (access decision, access-log entry,
result, send), 22-31 s."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from carecoord.events import Role
from carecoord.projections import timeline_feed
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
TIMELINE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position } }"""
SOCKETS = 4
PER_SOCKET = 100
HEAVY, OTHER = "nurse-heavy", "dr-other"


async def enrolled(api: Api, name: str) -> str:
    given = {"input": {"displayName": name, "program": "OTP"}}
    data = await api.ok(ENROLL, given, role=Role.PROGRAM_ADMIN)
    return str(data["enrollClient"]["id"])


async def subscribed(
    stack: contextlib.AsyncExitStack, api: Api, user: str, role: Role, variables: dict[str, Any]
) -> ClientConnection:
    """A socket of ``user`` with ``PER_SOCKET`` subscriptions (one for ``OTHER``)."""
    opened = api.subscription(api.token(role, user), TIMELINE, variables)
    ws = await stack.enter_async_context(opened)
    if user == HEAVY:
        for n in range(2, PER_SOCKET + 1):
            payload = {"query": TIMELINE, "variables": variables}
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
    return ws


async def pushed(ws: ClientConnection, count: int) -> None:
    for _ in range(count):
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert message["type"] == "next", message


async def checked_in(api: Api, client_id: str, user: str, role: Role) -> None:
    await api.ok(CHECK_IN, {"input": {"clientId": client_id, "craving": 4}}, role=role, user=user)


async def timeline_pushes_after(api: Api, seq: int) -> list[str]:
    """The readers of the ``timeline`` pushes access-logged after ``seq``, in the log's order."""
    async with api.platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT actor_id FROM access_log WHERE operation = 'timeline' AND seq > %s"
            " ORDER BY seq",
            (seq,),
        )
        return [str(actor) for (actor,) in await cur.fetchall()]


async def last_seq(api: Api) -> int:
    async with api.platform.pool.connection() as conn:
        cur = await conn.execute("SELECT coalesce(max(seq), 0) FROM access_log")
        found = await cur.fetchone()
        assert found is not None
        return int(found[0])


@pytest.mark.parametrize(
    ("per_socket", "per_reader"),
    [(2, 64), (PER_SOCKET, 8)],  # each alone holds back the heavy user
    ids=["bound-per-socket", "bound-per-reader"],
)
async def test_another_users_push_goes_ahead_of_one_users_backlog(
    api: Api, monkeypatch: pytest.MonkeyPatch, per_socket: int, per_reader: int
) -> None:
    monkeypatch.setattr(timeline_feed, "IN_FLIGHT_PER_SOCKET", per_socket)
    monkeypatch.setattr(timeline_feed, "IN_FLIGHT_PER_READER", per_reader)
    heavy_client, other_client = await enrolled(api, "Hal"), await enrolled(api, "Ora")
    await api.join_care_team(heavy_client, Role.NURSE, HEAVY)
    since = await api.join_care_team(other_client, Role.PRESCRIBER, OTHER)
    async with contextlib.AsyncExitStack() as stack:
        # Resumed from ``since``: each subscription has the first check-in, however late it starts.
        heavy = [
            await subscribed(stack, api, HEAVY, Role.NURSE, {"id": heavy_client, "after": since})
            for _ in range(SOCKETS)
        ]
        other = await subscribed(
            stack, api, OTHER, Role.PRESCRIBER, {"id": other_client, "after": since}
        )
        await checked_in(api, heavy_client, HEAVY, Role.NURSE)
        await checked_in(api, other_client, OTHER, Role.PRESCRIBER)
        await asyncio.gather(*(pushed(ws, PER_SOCKET) for ws in heavy), pushed(other, 1))
        before = await last_seq(api)

        await checked_in(api, heavy_client, HEAVY, Role.NURSE)
        await pushed(heavy[0], 1)  # the heavy user's pushes are under way
        await checked_in(api, other_client, OTHER, Role.PRESCRIBER)
        await asyncio.gather(
            pushed(heavy[0], PER_SOCKET - 1),
            *(pushed(ws, PER_SOCKET) for ws in heavy[1:]),
            pushed(other, 1),
        )

    readers = await timeline_pushes_after(api, before)
    assert sorted(set(readers)) == [OTHER, HEAVY]
    assert readers.count(HEAVY) == SOCKETS * PER_SOCKET
    behind = readers[readers.index(OTHER) + 1 :]
    # Handed all at once, every one of the heavy user's pushes went out before it.
    assert len(behind) >= SOCKETS * PER_SOCKET // 4
