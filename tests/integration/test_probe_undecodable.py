"""A stored event that fails today's checks, met by an operator's command: ``rebuild`` and
``audit projections`` leave it out as the live projector does and carry on, and nothing of
its content reaches the terminal (they printed the validation error whole, the event's
content, and stopped every client's rebuild)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from platform_env import carecoord
from undecodable import SECRET, store_a_copy_that_fails_its_checks

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def test_rebuild_and_audit_leave_it_out_and_say_nothing_of_it(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    bad = await asyncio.to_thread(store_a_copy_that_fails_its_checks, platform)
    last = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo P.", program="OTP"))
    assert await platform.progress.reach("timeline", last.position, 10)

    rebuilt = await asyncio.to_thread(carecoord, platform, servers, tmp_path, "rebuild", "timeline")
    audited = await asyncio.to_thread(
        carecoord, platform, servers, tmp_path, "audit", "projections"
    )

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "timeline: 1 stored event(s) do not decode: left out and parked" in rebuilt.stdout
    assert audited.returncode == 0, audited.stdout + audited.stderr
    for done in (rebuilt, audited):
        assert SECRET not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM timeline WHERE position = %s", (bad,))
        left_out = await cur.fetchone()
        cur = await conn.execute(
            "SELECT error FROM parked_events WHERE follower = 'timeline' AND position = %s",
            (bad,),
        )
        parked = await cur.fetchall()
    assert left_out == (0,)
    assert parked == [("ValidationError",)]
