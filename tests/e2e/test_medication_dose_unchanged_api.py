"""A dose change or taper that changes nothing (the order's doses from its start, on its
schedule) is refused naming ``dose`` (``steps``), rule ``dose-unchanged``, and records
nothing: it replaced the order with its twin, put "40 mg → 40 mg" on the record and asked
each acknowledgement again. The same dose on another schedule, in place of a taper's later
steps, or written again to carry an acknowledgement (a restart's) is a change."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from medication_steps import CHANGE, INDUCTED, MEDICATIONS, TAPER, Clinic

from carecoord.events import Role
from support import Api

UNCHANGED = "dose-unchanged"


@pytest.mark.shared_platform
async def test_a_dose_change_to_the_dose_in_force_is_refused(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Dale U.")
    order = (await clinic.methadone("40", today - timedelta(days=5)))["id"]
    head = await asyncio.to_thread(api.platform.store.last_position)

    same = await clinic.refused(
        CHANGE, Role.PRESCRIBER, orderId=order, dose="40.0", start=str(today), reason="review"
    )

    assert (same["code"], same["field"], same["rule"]) == ("BAD_USER_INPUT", "dose", UNCHANGED)
    assert same["message"].startswith(f"the order gives 40 mg from {today} already")
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    [written] = (await clinic.read(MEDICATIONS))["orders"]
    assert (written["id"], written["status"]) == (order, "active")

    split = await clinic.doctor(
        CHANGE, orderId=order, dose="40", start=str(today), schedule={"timesPerDay": 2}
    )
    later = str(today + timedelta(days=3))
    steps = [{"start": str(today), "dose": "40"}, {"start": later, "dose": "30"}]
    tapered = await clinic.doctor(TAPER, orderId=split["id"], steps=steps, reason="taper")
    kept = await clinic.doctor(CHANGE, orderId=tapered["id"], dose="40", start=str(today))
    again = await clinic.refused(CHANGE, Role.PRESCRIBER, orderId=kept["id"], dose="40",
                                 start=str(today + timedelta(days=1)))  # fmt: skip
    assert again["rule"] == UNCHANGED
    restated = [{"start": str(today), "dose": "40"}]
    taper = await clinic.refused(TAPER, Role.PRESCRIBER, orderId=kept["id"], steps=restated)
    assert (taper["field"], taper["rule"]) == ("steps", UNCHANGED)
    await clinic.doctor(CHANGE, orderId=kept["id"], dose="40", start=str(today),
                        acknowledgements=[INDUCTED])  # fmt: skip
