"""Days without methadone run on from an order that ended into the next order of it: a
client whose order ran out with its last two days missed, who had no order the day after
and missed the new order's first day too, has gone four days without methadone, and was
dosed in full at the window the next morning with nothing asked (the new order counted its
own days only). The window now refuses the dose (``consecutive-missed-doses``), and the
sweep holds the new order until a prescriber assesses the client."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import DOSE, DOSING, HOLD, MEDICATIONS, PRESCRIBE, RESUME, Clinic, at

from support import Api

RULE = "consecutive-missed-doses"


@pytest.mark.shared_platform
async def test_days_missed_at_an_orders_end_and_after_it_hold_the_next_order(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Bo K.")
    first = today - timedelta(days=6)
    ended = await clinic.methadone(
        "40", first, end=str(today - timedelta(days=3)), occurredAt=at(first, 8)
    )
    await clinic.doses(ended["id"], first, 2, "40")  # then today-4 and today-3 missed
    following = today - timedelta(days=1)  # today-2: no order
    new = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral",
        start=str(following), occurredAt=at(following, 8),
    )  # fmt: skip
    dose = {"orderId": new["id"], "amount": "40", "dosageForm": "oral solution"}

    before_the_sweep = await clinic.refused(DOSE, **dose)
    await clinic.swept(today)
    held = await clinic.refused(DOSE, **dose)

    assert (before_the_sweep["code"], before_the_sweep["field"], before_the_sweep["rule"]) == (
        "RULE_VIOLATION",
        "orderId",
        RULE,
    )
    assert before_the_sweep["consecutiveDays"] == 4
    assert held["rule"] == "order-active"
    orders = {o["id"]: o for o in (await clinic.read(MEDICATIONS))["orders"]}
    assert orders[new["id"]]["hold"]["rule"] == RULE
    dosing = await clinic.read(DOSING)
    assert (dosing["given"], dosing["missed"]) == (2, 3)


@pytest.mark.shared_platform
async def test_the_new_orders_first_dose_after_three_days_without_one_waits_for_a_prescriber(
    api: Api, today: date
) -> None:
    """An order's last two days missed and a day with none: the next order's first dose,
    today, is refused until a prescriber holds the order and resumes it."""
    clinic = await Clinic.enroll(api, "Bo L.")
    first = today - timedelta(days=4)
    ended = await clinic.methadone(
        "40", first, end=str(today - timedelta(days=2)), occurredAt=at(first, 8)
    )
    await clinic.dose(ended["id"], first, "40")
    new = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral", start=str(today),
        occurredAt=at(today - timedelta(days=1), 8),
    )  # fmt: skip
    dose = {"orderId": new["id"], "amount": "40", "dosageForm": "oral solution"}

    refused = await clinic.refused(DOSE, **dose)
    await clinic.doctor(HOLD, orderId=new["id"], reason="assess: three days without methadone")
    await clinic.doctor(RESUME, orderId=new["id"], reason="assessed; full dose")
    await clinic.nurse(DOSE, **dose)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "orderId",
        RULE,
    )
    assert refused["consecutiveDays"] == 3
