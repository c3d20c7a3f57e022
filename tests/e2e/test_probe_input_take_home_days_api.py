"""Take-home bottles handed over today last no further ahead than the days of take-homes the
client may hold. Before, two bottles with firstDay 2199-01-01 were handed over: the dosing
record had tomorrow uncovered (the missed-dose sweep would count it missed while the client
held the bottles), the DEA log listed doses for 2199, and the two far days held the client's
whole take-home supply. Such a hand-over is refused naming firstDay and records nothing;
bottles lasting to the last day the eligibility reaches are handed over."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from medication_steps import DOSE, DOSING, TAKE_HOME, Clinic

from support import Api

pytestmark = pytest.mark.shared_platform


async def test_bottles_lasting_past_the_eligibility_are_refused(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Ira T.")
    prescribed = await clinic.methadone("60", today)
    order = str(prescribed["id"])
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.eligible(7)
    given: dict[str, Any] = {"orderId": order, "days": 2, "dosageForm": "oral solution"}
    bottles = [{"bottle": "F-1", "lot": "LOT-A"}, {"bottle": "F-2", "lot": "LOT-A"}]
    head = await asyncio.to_thread(api.platform.store.last_position)

    far = await clinic.refused(TAKE_HOME, **given, firstDay="2199-01-01", bottles=bottles)
    late = await clinic.refused(
        TAKE_HOME, **given, firstDay=str(today + timedelta(days=7)), bottles=bottles
    )

    for refused in (far, late):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "RULE_VIOLATION", "firstDay", "take-home-horizon",
        ), refused  # fmt: skip
        assert f"days to {today + timedelta(days=7)} at the latest" in refused["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await clinic.nurse(TAKE_HOME, **given, firstDay=str(today + timedelta(days=6)), bottles=bottles)
    assert (await clinic.read(DOSING))["takeHomeDoses"] == 2
