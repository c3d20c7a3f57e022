"""The window does not wait for the missed-dose sweep: the day's first dose, at the window
or to take home, under an order three dosing days without a dose hold is refused (orderId,
rule consecutive-missed-doses, consecutiveDays), recording nothing, until a prescriber has
held the order; once they resume it the client is dosed, and the sweep finding the days
later holds nothing again.

The sweep runs an hour apart, the first an hour after the process starts: a client back
after three days away before it had run that day was dosed in full, the assessment the rule
asks for before the next dose never made."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import DOSE, DOSING, HOLD, MEDICATIONS, RESUME, TAKE_HOME, Clinic, at

from carecoord.services.infrastructure.settings import Settings
from support import Api


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, not on its own timer."""
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def test_the_first_dose_after_three_days_away_waits_for_a_prescriber(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Sam K.")
    start = today - timedelta(days=5)
    order = (await clinic.methadone("60", start, occurredAt=at(start, 8)))["id"]
    await clinic.eligible(7, on=start)
    await clinic.doses(order, start, 2, "60")  # then 3 days without, to yesterday
    head = await asyncio.to_thread(api.platform.store.last_position)
    bottle = {
        "orderId": order, "firstDay": str(today + timedelta(days=1)), "days": 1,
        "dosageForm": "oral solution", "bottles": [{"bottle": "TH-1", "lot": "LOT-A"}],
    }  # fmt: skip

    dose = await clinic.refused(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    take_home = await clinic.refused(TAKE_HOME, **bottle)

    for refused in (dose, take_home):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "RULE_VIOLATION",
            "orderId",
            "consecutive-missed-doses",
        )
        assert refused["consecutiveDays"] == 3
        assert f"through {today - timedelta(days=1)}" in refused["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    await clinic.doctor(HOLD, orderId=order, reason="away three days; to be assessed")
    await clinic.doctor(RESUME, orderId=order, reason="assessed at the window")
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.nurse(TAKE_HOME, **bottle)
    await clinic.swept(today)

    [resumed] = (await clinic.read(MEDICATIONS))["orders"]
    assert (resumed["status"], resumed["hold"]) == ("active", None)
    dosing = await clinic.read(DOSING)
    assert dosing["missed"] == 3
    assert [e["status"] for e in dosing["entries"]].count("hold-placed") == 1


async def test_a_nurse_is_not_refused_with_two_days_away(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Lee M.")
    start = today - timedelta(days=4)
    order = (await clinic.methadone("60", start, occurredAt=at(start, 8)))["id"]
    await clinic.doses(order, start, 2, "60")  # then 2 days without, to yesterday

    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")

    dosing = await clinic.read(DOSING)
    assert dosing["given"] == 3
