"""The missed-dose sweep runs inside the platform: missed days and the hold appear by
themselves, and only a prescriber lifts the hold.

The sweep is run here by the test, at a moment it chooses: left to its own timer, it could
run between the backdated order and its backdated doses and (rightly) count those days as
missed, which made this test depend on timing luck."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import DOSING, MEDICATIONS, PRESCRIBE, RESUME, Clinic

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.missed_sweep import sweep_once
from support import Api

TODAY = datetime.now(UTC).date()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def sweep(api: Api, times: int = 1) -> None:
    platform = api.platform
    for _ in range(times):
        await sweep_once(platform.bus, platform.pool, platform.medication, TODAY)


async def test_the_platform_sweep_records_missed_days_and_holds_after_three(api: Api) -> None:
    assert "missed-dose-sweep" in {task.get_name() for task in api.platform.tasks}
    clinic = await Clinic.enroll(api, "Robin T.")
    start = TODAY - timedelta(days=5)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral", start=str(start)
        )
    )["id"]
    await clinic.doses(order, start, 2, "40")
    await clinic.read(MEDICATIONS)  # the sweep finds its candidates in this view
    await sweep(api)

    for _ in range(100):
        dosing = await clinic.read(DOSING)
        if dosing["missed"] == 3 and any(e["status"] == "hold-placed" for e in dosing["entries"]):
            break
        await asyncio.sleep(0.1)

    missed = [e for e in dosing["entries"] if e["status"] == "missed"]
    assert [e["day"] for e in missed] == [str(start + timedelta(days=n)) for n in (2, 3, 4)]
    assert [e["detail"] for e in missed][-1].startswith("3 in a row (consecutive-missed-doses v1)")
    assert {e["recordedBy"] for e in missed} == {"missed-dose-sweep"}
    [held] = (await clinic.read(MEDICATIONS))["orders"]
    assert held["status"] == "on-hold"
    assert held["hold"]["rule"] == "consecutive-missed-doses"

    nurse = await clinic.refused(RESUME, Role.NURSE, orderId=order, reason="came back")
    assert nurse["code"] == "FORBIDDEN"
    await clinic.doctor(RESUME, orderId=order, reason="assessed; restart at 20 mg")
    await sweep(api, times=3)  # a few more sweeps: nothing new is found
    again = await clinic.read(DOSING)
    assert again["missed"] == 3
    assert [e["status"] for e in again["entries"]].count("hold-placed") == 1
