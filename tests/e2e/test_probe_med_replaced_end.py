"""The medication list shows an order a dose change or taper replaced as ending the day
before its successor starts, as the record doses it: the view kept the end it was
prescribed with (none), so the replaced order read as open-ended."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import CHANGE, INDUCTED, MEDICATIONS, PRESCRIBE, TAPER, Clinic, at

from support import Api


@pytest.mark.shared_platform
async def test_a_replaced_order_reads_as_ending_the_day_before_its_successor(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Jo M.")
    start = today - timedelta(days=10)
    first = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(start), end=str(today + timedelta(days=30)), occurredAt=at(start, 8),
    )  # fmt: skip
    changed = await clinic.doctor(
        CHANGE, orderId=first["id"], dose="70", start=str(today), acknowledgements=[INDUCTED]
    )  # never dosed yet: in induction still
    tapered = await clinic.doctor(
        TAPER, orderId=changed["id"], reason="client request", acknowledgements=[INDUCTED],
        steps=[{"start": str(today + timedelta(days=2)), "dose": "60"}],
    )  # fmt: skip

    orders = {o["id"]: o for o in (await clinic.read(MEDICATIONS, history=True))["orders"]}

    assert (orders[first["id"]]["status"], orders[first["id"]]["end"]) == (
        "replaced",
        str(today - timedelta(days=1)),
    )
    assert orders[changed["id"]]["end"] == str(today + timedelta(days=1))
    assert orders[tapered["id"]]["end"] == str(today + timedelta(days=30))
