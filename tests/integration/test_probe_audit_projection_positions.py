"""``audit projections`` names a read model whose live position was set past the store's
head: its rows still match what was derived, yet the projector, started again, applies
nothing up to that position, and the gate takes an access view there as holding every
change (a removed member read on). It was reported the same, exit 0."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from uuid import UUID

from audit_cli import audit

from carecoord.events import Actor, Role
from carecoord.projections import careteam
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NAME = "Ahead Person"


async def enrolled_with_a_nurse(platform: Platform) -> tuple[UUID, int]:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name=NAME, program="OTP"))
    joined = await platform.bus.execute(
        assign_member(ADMIN, client_id=enrolled.result, member_id="nurse-1", role=Role.NURSE)
    )
    assert await platform.progress.reach(careteam.NAME, joined.position, 10)
    return enrolled.result, joined.position


async def test_a_live_position_past_the_stores_head_is_named(
    platform: Platform, tmp_path: Path
) -> None:
    _, head = await enrolled_with_a_nurse(platform)
    async with platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE follower_positions SET position = %s WHERE name = %s",
            (head + 1_000_000, careteam.NAME),
        )

    url = platform.database_url
    as_json = await asyncio.to_thread(audit, url, tmp_path, "projections", "--json")
    as_text = await asyncio.to_thread(audit, url, tmp_path, "projections")

    assert as_json.returncode == as_text.returncode == 1, as_json.stdout + as_json.stderr
    report = json.loads(as_json.stdout)
    assert not report["intact"]
    (model,) = [m for m in report["models"] if not m["intact"]]
    assert model["name"] == careteam.NAME
    assert model["differences"] == []
    assert (model["livePosition"], model["storeHead"]) == (head + 1_000_000, head)
    assert f"live position {head + 1_000_000:,} past the store's head {head:,}" in as_text.stdout
    assert NAME not in as_text.stdout + as_text.stderr + as_json.stdout
