"""A dose given at the window before the order was stopped is charted after the stop.

A nurse charts the morning's doses when the window quietens; a prescriber may stop the order
(switching to naltrexone) in between. The dose was given while the order was in force: it
is dispensed methadone the DEA dispensing log must show (21 CFR 1304.24) and opioid exposure
the naltrexone rule counts from (``naltrexone-opioid-agonist``: opioid-free 7-14 days). A
stop, as a stop's own ``stoppedAt`` rule says (``stop-after-last-dose``), comes after the
doses given before it; a dose given after it is refused as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from medication_steps import DISCONTINUE, DOSE, DOSING, PRESCRIBE, Clinic

from support import Api

pytestmark = pytest.mark.shared_platform

NOW = datetime.now(UTC)


async def test_a_dose_given_before_the_stop_is_charted_and_one_after_it_is_refused(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Jo S.")
    start = NOW.date() - timedelta(days=3)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="60", unit="mg", route="oral", start=str(start)
        )
    )["id"]
    given_at = NOW - timedelta(minutes=30)
    await clinic.doctor(
        DISCONTINUE, orderId=order, reason="switching to naltrexone",
        stoppedAt=(NOW - timedelta(minutes=10)).isoformat(),
    )  # fmt: skip

    after = await clinic.refused(
        DOSE, orderId=order, amount="60", dosageForm="oral solution",
        givenAt=(NOW - timedelta(minutes=5)).isoformat(),
    )  # fmt: skip
    assert (after["field"], after["rule"]) == ("orderId", "order-active")
    await clinic.nurse(
        DOSE, orderId=order, amount="60", dosageForm="oral solution", givenAt=given_at.isoformat()
    )

    dosing = await clinic.read(DOSING)
    assert [e["status"] for e in dosing["entries"] if e["status"] == "given"] == ["given"]
    assert dosing["firstDoseDay"] is not None
