"""Take-home supply is the days the bottles last, not how many bottles there are: on an
alternate-day order each bottle is two days' supply.

42 CFR 8.12(i)(3) (89 FR 7528, 2024) limits the take-home supply a client holds by days of
treatment: up to 7 days in the first 14, up to 14 days from day 15. Seven bottles of an
every-other-day order last 14 days, so in the first two weeks, with eligibility for 7 days,
they are refused (``take-home-eligibility``), as is a fourth bottle after three (8 days),
and the dosing view says the 6 days three bottles last."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import DOSE, DOSING, INDUCTED, PRESCRIBE, TAKE_HOME, Clinic

from support import Api


async def alternate_days(api: Api, today: date) -> tuple[Clinic, str]:
    """On methadone 60 mg every other day from ``today``, dosed today, eligible for 7 days."""
    clinic = await Clinic.enroll(api, "Noa P.")
    prescribed = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(today), schedule={"timesPerDay": 1, "everyDays": 2},
    )  # fmt: skip
    order = str(prescribed["id"])
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.eligible(7)
    return clinic, order


def bottles(count: int) -> list[dict[str, str]]:
    return [{"bottle": f"AD-{n}", "lot": "LOT-A"} for n in range(count)]


@pytest.mark.shared_platform
async def test_bottles_of_an_alternate_day_order_count_two_days_each_against_the_cap(
    api: Api, today: date
) -> None:
    clinic, order = await alternate_days(api, today)

    fortnight = await clinic.refused(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=2)), days=14,
        dosageForm="oral solution", bottles=bottles(7),
    )  # fmt: skip
    assert (fortnight["code"], fortnight["field"], fortnight["rule"]) == (
        "RULE_VIOLATION",
        "days",
        "take-home-eligibility",
    )
    assert "this would make 14" in fortnight["message"]

    await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=2)), days=6,
        dosageForm="oral solution", bottles=bottles(3),
    )  # fmt: skip
    fourth = await clinic.refused(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=8)), days=2,
        dosageForm="oral solution", bottles=[{"bottle": "AD-9", "lot": "LOT-A"}],
    )  # fmt: skip
    assert (fourth["rule"], fourth["field"]) == ("take-home-eligibility", "days")
    assert "this would make 8" in fourth["message"]
    dosing = await clinic.read(DOSING)
    assert (dosing["takeHomeDoses"], dosing["takeHomeSupplyDays"]) == (3, 6)
