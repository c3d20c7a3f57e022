"""The caseload's adherence window ends on the program's today (``program_time_zone``), the
dosing day the missed days are recorded on, not UTC's: a missed day 30 days back counts, one
31 days back does not. With UTC's today the window was a day longer where the program is
ahead of UTC, a day shorter where it is behind."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import DOSING, MEDICATIONS, NURSE, PRESCRIBE, Clinic
from program_days import parted_now

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.missed_sweep import sweep_once
from support import Api

CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  missedWindowDays clients { clientId consecutiveMissedDays recentMissedDays } } }"""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    # The test runs the missed-dose sweep itself (test_medication_missed.py says why).
    return isolated_settings(
        data_dir, program_time_zone=str(parted_now()), missed_dose_interval_seconds=3600
    )


async def test_the_missed_window_ends_on_the_programs_today(settings: Settings, api: Api) -> None:
    today = datetime.now(settings.program_time_zone).date()
    clinic = await Clinic.enroll(api, "Morgan P.")
    await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral",
        start=str(today - timedelta(days=31)), end=str(today - timedelta(days=29)),
    )  # fmt: skip
    await clinic.read(MEDICATIONS)  # the sweep finds its candidates in this view
    platform = api.platform
    await sweep_once(platform, today)
    for _ in range(100):  # the order's three days, 31, 30 and 29 back, are missed
        if (await clinic.read(DOSING))["missed"] == 3:
            break
        await asyncio.sleep(0.1)

    data = await api.ok(CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user=NURSE)

    caseload = data["myCaseload"]
    assert caseload["missedWindowDays"] == 30
    [client] = caseload["clients"]
    assert client["clientId"] == clinic.client_id
    assert (client["consecutiveMissedDays"], client["recentMissedDays"]) == (3, 2)
