"""An ``atLeast`` no mutation answered (past the store's last position: another database's,
or mistyped) is refused at once, naming it. Before, the read waited the whole
``read_your_writes_timeout`` and answered ``RULE_VIOLATION`` ... ``retry``, and every retry
waited and failed the same, for ever. A subscription's ``after`` was refused so already
(``recorded-position``)."""

from __future__ import annotations

import asyncio
import time

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
READS = {
    "timeline": "query($id: UUID!, $n: Seq) { clientTimeline(clientId: $id, atLeast: $n) "
    "{ edges { cursor } } }",
    "care team": "query($id: UUID!, $n: Seq) { careTeam(clientId: $id, atLeast: $n) { memberId } }",
    "check-ins": "query($id: UUID!, $n: Seq) { checkInSeries(clientId: $id, atLeast: $n) "
    "{ measure } }",
}


@pytest.mark.parametrize("read", sorted(READS))
async def test_an_at_least_past_the_store_is_refused_at_once(api: Api, read: str) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Kim", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client = enrolled["enrollClient"]["id"]
    mine = await api.join_care_team(client, Role.NURSE)
    head = await asyncio.to_thread(api.platform.store.last_position)
    logged = await access_log_size(api)

    started = time.perf_counter()
    body = await api.gql(READS[read], {"id": client, "n": head + 1000}, role=Role.NURSE)
    took = time.perf_counter() - started

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "atLeast",
        "rule": "recorded-position",
    }
    assert error["message"].startswith("atLeast is past the last recorded position (")
    assert took < api.platform.settings.read_your_writes_timeout
    assert await access_log_size(api) == logged  # refused before anything was read
    # one's own write still reads as before
    assert "errors" not in await api.gql(READS[read], {"id": client, "n": mine}, role=Role.NURSE)


async def access_log_size(api: Api) -> int:
    async with api.platform.pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM access_log")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])
