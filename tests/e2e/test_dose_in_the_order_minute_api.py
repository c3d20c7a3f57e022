"""A dose charted for the minute its order was written is given under it: charting times are
minutes, and the refusal read "written at 10:00; nothing is given under it at 10:00, before
it was prescribed" for a dose poured right after an order written at 10:00:40."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from medication_steps import DOSE, DOSING, Clinic

from support import Api

pytestmark = pytest.mark.shared_platform


async def test_a_dose_charted_in_the_minute_the_order_was_written_is_recorded(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ida M.")
    if (second := datetime.now().second) >= 50:  # the order written in the minute taken here
        await asyncio.sleep(60 - second)
    minute = datetime.now().astimezone().replace(second=0, microsecond=0)
    order = (await clinic.methadone("60", today))["id"]
    dose = {"orderId": order, "amount": "60", "dosageForm": "oral solution", "lot": "LOT-A"}

    before = await clinic.refused(DOSE, **dose, givenAt=(minute - timedelta(minutes=1)).isoformat())
    assert (before["field"], before["rule"]) == ("givenAt", "after-order-written")
    await clinic.nurse(DOSE, **dose, givenAt=minute.isoformat())
    assert [e["status"] for e in (await clinic.read(DOSING))["entries"]] == ["given"]
