"""A client back after a week with no methadone through the API: the missed-dose sweep held
the order after 3 days, the prescriber resumes it, and the window still holds the first day
back to the initial-dose cap (50 mg), refusing the full 80 mg naming amount, rule
methadone-initial-dose and the days missed, until a dose change written after the gap
carries the acknowledgement, on the safety record as an override of the restart; take-homes
wait for the prescriber to determine eligibility again."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import (
    CHANGE,
    DOSE,
    INDUCTED,
    MEDICATIONS,
    PRESCRIBE,
    RESUME,
    SAFETY,
    TAKE_HOME,
    Clinic,
    at,
)

from carecoord.services.infrastructure.settings import Settings
from support import Api

RATIONALE = "seen today after a week away; used daily, tolerance assessed"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, not on its own timer."""
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def test_the_first_day_back_after_a_week_is_held_to_the_cap_until_acknowledged(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Noor P.")
    start = today - timedelta(days=10)
    order = (await clinic.methadone("80", start, occurredAt=at(start, 8)))["id"]
    await clinic.doses(order, start, 3, "80")  # then 7 days without, to yesterday
    await clinic.swept(today)
    [held] = (await clinic.read(MEDICATIONS))["orders"]
    assert (held["status"], held["hold"]["rule"]) == ("on-hold", "consecutive-missed-doses")
    await clinic.doctor(RESUME, orderId=order, reason="assessed at the window")

    refused = await clinic.refused(
        DOSE, orderId=order, amount="80", dosageForm="oral solution", givenAt=at(today)
    )

    assert (refused["code"], refused["field"], refused["rule"], refused["daysMissed"]) == (
        "RULE_VIOLATION",
        "amount",
        "methadone-initial-dose",
        7,
    )
    assert "again after 7 days without it" in refused["message"]
    assert "at most 50 mg more" in refused["message"]

    ack = {"rule": "methadone-initial-dose", "reason": RATIONALE}
    changed = await clinic.doctor(
        CHANGE, orderId=order, dose="80", start=str(today), reason="restart",
        acknowledgements=[ack],
    )  # fmt: skip
    [override] = [e for e in await clinic.read(SAFETY) if e["detail"] == RATIONALE]
    assert (override["kind"], override["rule"], override["ruleVersion"]) == (
        "override",
        "methadone-initial-dose",
        "2024-04-02+restart:1",
    )
    assert override["orderId"] == changed["id"]
    await clinic.dose(changed["id"], today, "80")


async def test_a_resume_after_the_gap_may_acknowledge_the_full_dose(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Ola V.")
    start = today - timedelta(days=10)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="80", acknowledgements=[INDUCTED],
            unit="mg", route="oral", start=str(start), occurredAt=at(start, 8),
        )
    )["id"]  # fmt: skip
    await clinic.doses(order, start, 3, "80")
    await clinic.swept(today)

    ack = {"rule": "methadone-initial-dose", "reason": RATIONALE}
    await clinic.doctor(RESUME, orderId=order, reason="assessed", acknowledgements=[ack])

    [override] = [e for e in await clinic.read(SAFETY) if e["detail"] == RATIONALE]
    assert (override["rule"], override["ruleVersion"], override["action"]) == (
        "methadone-initial-dose",
        "2024-04-02+restart:1",
        "resume",
    )
    await clinic.dose(order, today, "80")


async def test_take_homes_wait_after_the_restart_for_eligibility_determined_again(
    api: Api, today: date
) -> None:
    """Eligible for 7 days before the week away: after the restart the take-home is refused
    naming days, rule take-home-restart and the days missed, recording nothing, until the
    prescriber determines eligibility again."""
    clinic = await Clinic.enroll(api, "Rui T.")
    start = today - timedelta(days=10)
    order = (await clinic.methadone("80", start, occurredAt=at(start, 8)))["id"]
    await clinic.eligible(7, on=start)
    await clinic.doses(order, start, 3, "80")
    await clinic.swept(today)
    ack = {"rule": "methadone-initial-dose", "reason": RATIONALE}
    await clinic.doctor(RESUME, orderId=order, reason="assessed", acknowledgements=[ack])
    await clinic.dose(order, today, "80")
    bottle = {
        "orderId": order, "firstDay": str(today + timedelta(days=1)), "days": 1,
        "dosageForm": "oral solution", "bottles": [{"bottle": "TH-1", "lot": "LOT-A"}],
    }  # fmt: skip
    head = await asyncio.to_thread(api.platform.store.last_position)

    refused = await clinic.refused(TAKE_HOME, **bottle)

    assert (refused["code"], refused["field"], refused["rule"], refused["daysMissed"]) == (
        "RULE_VIOLATION",
        "days",
        "take-home-restart",
        7,
    )
    assert f"determines take-home eligibility on {today} or later" in refused["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await clinic.eligible(7)
    await clinic.nurse(TAKE_HOME, **bottle)
