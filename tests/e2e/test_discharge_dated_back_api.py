"""A discharge dated back is refused before a dose already given: the dose would read as
given to a client out of treatment, as no dose sent for that time could be."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import DISCONTINUE, DOSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")


async def test_a_discharge_is_not_dated_before_the_last_dose_given(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Robin T.")
    order = str((await clinic.methadone("40", today))["id"])
    before_dose = datetime.now(UTC) - timedelta(minutes=1)
    await clinic.nurse(DOSE, orderId=order, amount="40", dosageForm="oral solution")
    await clinic.doctor(DISCONTINUE, orderId=order, reason="discharge")
    before = await asyncio.to_thread(api.platform.store.last_position)

    refusal = await clinic.refused(
        DISCHARGE, Role.PRESCRIBER, reason="ADMINISTRATIVE",
        dischargedAt=before_dose.isoformat(),
    )  # fmt: skip

    assert (refusal["code"], refusal["field"], refusal["rule"]) == (
        "BAD_USER_INPUT", "dischargedAt", "in-order",
    )  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == before
    await clinic.doctor(DISCHARGE, reason="ADMINISTRATIVE")
