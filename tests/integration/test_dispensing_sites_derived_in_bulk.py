"""The dispensing-sites view, applied by the live projector one batch at a time and derived
afresh in bulk as a rebuild fills it, gives the same rows: registrations, a retirement and
the names they hold, in the order a program admin made them (the record of every client's
event types holds no site's)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from carecoord.events import Actor, CareEvent, Role
from carecoord.events.stock import (
    DispensingSiteNameHeld,
    DispensingSiteRegistered,
    DispensingSiteRetired,
    site_name_id,
    stock_id,
)
from carecoord.projections import dispensing_sites
from carecoord.projections.verify import verify_all
from carecoord.services.kernel.aggregate import Recorded
from carecoord.services.platform import Platform

ADMIN = Actor(id="admin-1", role=Role.PROGRAM_ADMIN)
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def stamped(cls: type[CareEvent], hour: int, **facts: Any) -> CareEvent:
    at = START + timedelta(hours=hour)
    return cls(event_id=uuid4(), occurred_at=at, recorded_at=at, actor=ADMIN,
               correlation_id=uuid4(), **facts)  # fmt: skip


def registered(site: str, hour: int) -> list[CareEvent]:
    return [
        stamped(DispensingSiteRegistered, hour, client_id=stock_id(site), site=site,
                day=date(2026, 11, 2)),
        stamped(DispensingSiteNameHeld, hour, client_id=site_name_id(site), site=site,
                held=True),
    ]  # fmt: skip


async def test_sites_applied_live_and_derived_in_bulk_are_the_same(platform: Platform) -> None:
    site = f"North Unit {uuid4().hex[:6]}"
    events = [
        *registered(site, 0),
        *registered(f"East Unit {uuid4().hex[:6]}", 1),
        stamped(DispensingSiteRetired, 2, client_id=stock_id(site), site=site,
                day=date(2026, 11, 2)),
        stamped(DispensingSiteNameHeld, 2, client_id=site_name_id(site), site=site,
                held=False),
    ]  # fmt: skip
    versions: Counter[UUID] = Counter()
    recorded = []
    for event in events:  # each record's events numbered in turn, as its aggregate's are
        versions[event.client_id] += 1
        recorded.append(Recorded(event.client_id, versions[event.client_id], event))
    await asyncio.to_thread(platform.store.record, recorded, [])
    head = await asyncio.to_thread(platform.store.last_position)
    assert await platform.progress.reach(dispensing_sites.NAME, head, 10)

    [found] = await verify_all(platform.store, platform.pool, [dispensing_sites])

    assert found.intact, found
    assert found.rows >= 2  # the two sites, one of them retired
    assert found.events == head
