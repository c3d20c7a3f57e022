"""The missed-dose sweep runs inside the platform: missed days and the hold appear by
themselves, and only a prescriber lifts the hold.

The sweep is run here by the test, at a moment it chooses: left to its own timer, it could
run between the backdated order and its backdated doses and (rightly) count those days as
missed, which made this test depend on timing luck."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import DOSING, MEDICATIONS, NOT_GIVEN, PRESCRIBE, RESUME, Clinic, at

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.missed_sweep import sweep_once
from support import Api


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def sweep(api: Api, today: date, times: int = 1) -> None:
    platform = api.platform
    for _ in range(times):
        await sweep_once(platform, today)


async def test_the_platform_sweep_records_missed_days_and_holds_after_three(
    api: Api, today: date
) -> None:
    assert "missed-dose-sweep" in {task.get_name() for task in api.platform.tasks}
    clinic = await Clinic.enroll(api, "Robin T.")
    start = today - timedelta(days=5)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral", start=str(start)
        )
    )["id"]
    await clinic.doses(order, start, 2, "40")
    await clinic.read(MEDICATIONS)  # the sweep finds its candidates in this view
    await sweep(api, today)

    for _ in range(100):
        dosing = await clinic.read(DOSING)
        if dosing["missed"] == 3 and any(e["status"] == "hold-placed" for e in dosing["entries"]):
            break
        await asyncio.sleep(0.1)

    missed = [e for e in dosing["entries"] if e["status"] == "missed"]
    assert [e["day"] for e in missed] == [str(start + timedelta(days=n)) for n in (2, 3, 4)]
    assert [e["detail"] for e in missed][-1].startswith("3 in a row (consecutive-missed-doses v5)")
    assert {e["recordedBy"] for e in missed} == {"missed-dose-sweep"}
    [held] = (await clinic.read(MEDICATIONS))["orders"]
    assert held["status"] == "on-hold"
    assert held["hold"]["rule"] == "consecutive-missed-doses"

    nurse = await clinic.refused(RESUME, Role.NURSE, orderId=order, reason="came back")
    assert nurse["code"] == "FORBIDDEN"
    await clinic.doctor(RESUME, orderId=order, reason="assessed; restart at 20 mg")
    await sweep(api, today, times=3)  # a few more sweeps: nothing new is found
    again = await clinic.read(DOSING)
    assert again["missed"] == 3
    assert [e["status"] for e in again["entries"]].count("hold-placed") == 1


CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId consecutiveMissedDays recentMissedDays } } }"""
EXPLAINED = """query($id: UUID!, $atLeast: Seq) { clientDosing(clientId: $id, atLeast: $atLeast) {
  missed notGiven entries { day status detail explained } } }"""


async def test_a_day_not_given_is_not_missed_and_one_charted_late_explains_its_day(
    api: Api, today: date
) -> None:
    """A dose not given accounts for its day: the sweep finds only the day with nothing
    recorded. Charted after the sweep found a day, it is recorded as that day's explanation:
    the day counts once, as not given, in the dosing view and the caseload."""
    clinic = await Clinic.enroll(api, "Dana P.")
    start = today - timedelta(days=4)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral", start=str(start)
        )
    )["id"]
    await clinic.dose(order, start, "40")
    await clinic.nurse(
        NOT_GIVEN, orderId=order, reason="INTOXICATED", occurredAt=at(start + timedelta(days=1))
    )
    await clinic.dose(order, start + timedelta(days=2), "40")
    await clinic.read(MEDICATIONS)  # the sweep finds its candidates in this view
    await sweep(api, today)

    yesterday = str(today - timedelta(days=1))
    for _ in range(100):
        dosing = await clinic.read(EXPLAINED)
        if any(e["status"] == "missed" for e in dosing["entries"]):
            break
        await asyncio.sleep(0.1)
    await sweep(api, today, times=2)  # reruns find nothing new
    dosing = await clinic.read(EXPLAINED)
    missed = [e for e in dosing["entries"] if e["status"] == "missed"]
    assert [e["day"] for e in missed] == [yesterday], "the day not given is not missed too"
    assert missed[0]["detail"].startswith("1 in a row (consecutive-missed-doses v5)")
    assert (dosing["missed"], dosing["notGiven"]) == (1, 1)

    # The nurse charts yesterday's dose not given after the sweep found the day missed.
    await clinic.nurse(
        NOT_GIVEN, orderId=order, reason="DECLINED", occurredAt=at(today - timedelta(days=1))
    )
    dosing = await clinic.read(EXPLAINED)
    assert (dosing["missed"], dosing["notGiven"]) == (0, 2)
    [found] = [e for e in dosing["entries"] if e["status"] == "missed"]
    assert (found["day"], found["explained"]) == (yesterday, True)
    caseload = await api.ok(
        CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user="nurse-kim"
    )
    [row] = [c for c in caseload["myCaseload"]["clients"] if c["clientId"] == clinic.client_id]
    assert (row["consecutiveMissedDays"], row["recentMissedDays"]) == (0, 0)
    await sweep(api, today)
    assert (await clinic.read(EXPLAINED))["missed"] == 0
