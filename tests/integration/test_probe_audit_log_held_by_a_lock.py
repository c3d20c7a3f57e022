"""The access-log writer waiting on a lock someone holds on the log (a table locked by hand
as its rows are edited) is stuck once it has waited ``loop_stuck_seconds`` with a batch in
hand: /health answers 503 naming ``access-log``, and ok again once it gets through. Every
read waits on its entry meanwhile, yet /health said ok, naming no loop, however long no
read could be answered."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
from conftest import isolated_settings, started
from test_loop_held_by_a_lock import until

from carecoord.events import Actor, Role
from carecoord.events.access import ClientRecordRead
from carecoord.graphql.status import health
from carecoord.services.gate.gate import read_entry
from carecoord.services.infrastructure.access_log import LOOP
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers

NURSE = Actor(id="nurse-1", role=Role.NURSE)


def a_read() -> ClientRecordRead:
    return read_entry(Stamp(NURSE), uuid.uuid4(), "clientTimeline", count=1)


async def test_the_access_log_waiting_on_a_lock_is_stuck_until_it_gets_through(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir, loop_stuck_seconds=0.2)
    async with (
        started(settings, servers, relay=False) as platform,
        await psycopg.AsyncConnection.connect(platform.database_url) as holder,
    ):
        await platform.access_log.append(a_read())  # the log's table is made as it starts
        await holder.execute("LOCK TABLE access_log IN ACCESS EXCLUSIVE MODE")
        read = asyncio.create_task(platform.access_log.append(a_read()))

        await until(lambda: LOOP in platform.liveness.stuck())
        assert LOOP in (await health(platform))["stuckLoops"]  # type: ignore[operator]
        assert not read.done()

        await holder.rollback()
        await asyncio.wait_for(read, 30)
        await until(lambda: platform.liveness.stuck() == [])
        assert (await health(platform))["status"] == "ok"
