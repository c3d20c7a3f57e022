"""Decisions made together share the store probe: concurrent writes by care-team members ask
the store for their clients' newest access change in fewer statements than writes, and each
is still admitted or refused on its own client's team."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import pytest
from statements import statements

from carecoord.events import Actor, Role
from carecoord.projections import careteam
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.gate.gate import AccessGate
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import Forbidden
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Actor(id="nurse-1", role=Role.NURSE)
CLIENTS = 24


async def on_team(platform: Platform, count: int) -> list[UUID]:
    clients = [
        o.result
        for o in await asyncio.gather(
            *(
                platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="P"))
                for i in range(count)
            )
        )
    ]
    added = await asyncio.gather(
        *(
            platform.bus.execute(
                assign_member(ADMIN, client_id=c, member_id=NURSE.id, role=Role.NURSE)
            )
            for c in clients
        )
    )
    assert await platform.progress.reach(careteam.NAME, max(o.position for o in added), 10)
    return clients


async def test_concurrent_decisions_share_the_store_probe(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = await on_team(platform, CLIENTS)
    stranger = uuid4()

    async def admitted(client: UUID) -> bool:
        gate = AccessGate(platform, NURSE, None, uuid4())
        try:
            await gate.stamp(Action.ADMINISTER_DOSE, client)
        except Forbidden:
            return False
        return True

    with statements(monkeypatch) as sent:
        decided = await asyncio.gather(*(admitted(c) for c in [*clients, stranger]))

    assert decided == [True] * CLIENTS + [False]
    probes = [s for s in sent if "access_changed_at" in s]
    assert 1 <= len(probes) < CLIENTS / 2
