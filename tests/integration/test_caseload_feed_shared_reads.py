"""The caseload subscriptions of a process read the alerts raised once for all of them at each
step of the feed, not once each: they wake together at the same position and share the
statement of whichever asked first (100 on one socket, reading one each, halved the rate the
API took writes at)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from carecoord.events import Actor, Role
from carecoord.events.checkins import Instrument
from carecoord.projections import alerts
from carecoord.services.care.commands import enroll_client
from carecoord.services.checkins.commands import score_instrument
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
ITEM9 = {str(n): 1 if n == 9 else 0 for n in range(1, 10)}


async def test_subscriptions_asking_for_a_step_together_share_one_read(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = platform.bus
    client_id = (await bus.execute(enroll_client(ADMIN, display_name="Ana", program="OTP"))).result
    scored = await bus.execute(
        score_instrument(
            NURSE,
            client_id=client_id,
            instrument=Instrument.PHQ9,
            answers=ITEM9,
            rules=platform.alert_rules,
        )
    )
    assert await platform.progress.reach(alerts.NAME, scored.position, 10)
    reads: list[tuple[int, int]] = []
    read = alerts.raised_between

    async def counted(*args: Any) -> list[alerts.Alert]:
        reads.append(args[1:3])
        return await read(*args)

    monkeypatch.setattr(alerts, "raised_between", counted)
    step = (0, scored.position, 100)
    answers = await asyncio.gather(
        *(platform.raised_alerts.between(platform.pool, *step) for _ in range(20))
    )
    assert reads == [(0, scored.position)]
    [raised] = answers[0]
    assert (raised["client_id"], raised["rule_id"]) == (client_id, "phq9-item9")
    assert all(answer == answers[0] for answer in answers)

    await platform.raised_alerts.between(platform.pool, *step)
    assert len(reads) == 2, "a step asked after the shared read ended is read again"
