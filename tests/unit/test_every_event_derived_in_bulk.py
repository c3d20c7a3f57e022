"""Every type of event, applied by the live projector one batch at a time and derived
afresh in bulk (COPY for the logs, ledgers and timeline, pipelined apply for the rest),
gives the same rows in every read model. Needs the servers (marked live)."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from every_event import every_event

from carecoord.projections.models import READ_MODELS, names
from carecoord.projections.verify import verify_all
from carecoord.services.kernel.aggregate import Recorded
from carecoord.services.platform import Platform

BULK_FILLED = {"timeline", "dosing", "dispensing_log", "inventory", "medication_safety",
               "checkin_series"}  # fmt: skip


async def test_every_event_type_applied_live_and_derived_in_bulk_is_the_same(
    platform: Platform,
) -> None:
    story = every_event()
    recorded = [Recorded(uuid4(), 1, event) for event in story.events]
    await asyncio.to_thread(platform.store.record, recorded, [])
    head = await asyncio.to_thread(platform.store.last_position)
    for name in names():
        assert await platform.progress.reach(name, head, 10), name

    found = await verify_all(platform.store, platform.pool, READ_MODELS)

    assert [v for v in found if not v.intact] == []
    assert {v.name for v in found if v.clients} >= BULK_FILLED
    assert all(v.events == head for v in found)
