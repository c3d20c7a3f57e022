"""A run of missed dosing days belongs to the episode it was missed in: a discharged client
has none on the caseload (nobody expects them at the window), and a readmitted one counts
from the readmission's program day. The run of the ended episode stood in needsAttention
and ranked the client above those in treatment until they were dosed again."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import isolated_settings
from medication_steps import DISCONTINUE, DOSING, MEDICATIONS, Clinic, mutation
from program_days import parted_now

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.missed_sweep import sweep_once
from support import Api

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
READMIT = mutation("ReadmitClientInput", "readmitClient")
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId dischargedAt consecutiveMissedDays needsAttention } } }"""
OWN_NURSE = "nurse-missed-episode"
"""A nurse on this client's team alone: their caseload is this client."""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    # The test runs the missed-dose sweep itself (test_medication_missed.py says why).
    return isolated_settings(
        data_dir, program_time_zone=str(parted_now()), missed_dose_interval_seconds=3600
    )


async def line(clinic: Clinic) -> Any:
    data = await clinic.api.ok(
        CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user=OWN_NURSE
    )
    [client] = data["myCaseload"]["clients"]
    return {k: client[k] for k in ("consecutiveMissedDays", "needsAttention")}


async def test_a_run_of_missed_days_ends_with_its_episode(settings: Settings, api: Api) -> None:
    today = datetime.now(settings.program_time_zone).date()
    clinic = await Clinic.enroll(api, "Rowan M.")
    await api.join_care_team(clinic.client_id, Role.NURSE, OWN_NURSE)
    order = await clinic.methadone("30", today - timedelta(days=3))
    await clinic.read(MEDICATIONS)  # the sweep finds its candidates in this view
    platform = api.platform
    await sweep_once(platform, today)
    for _ in range(100):  # the three days before today are missed
        if (await clinic.read(DOSING))["missed"] == 3:
            break
        await asyncio.sleep(0.1)
    assert (await line(clinic))["needsAttention"][0] == "3 dosing day(s) missed in a row"
    await clinic.doctor(DISCONTINUE, orderId=order["id"], reason="left the program")
    await clinic.doctor(DISCHARGE, reason="LEFT_AGAINST_ADVICE")

    assert await line(clinic) == {"consecutiveMissedDays": 0, "needsAttention": []}

    await clinic.doctor(READMIT)

    assert await line(clinic) == {"consecutiveMissedDays": 0, "needsAttention": []}
