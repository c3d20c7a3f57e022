"""clientDosing counts a readmitted client's days in treatment from the first observed dose
since the readmission, as the take-home schedule does (42 CFR 8.12(i)): it counted them from
the first dose of the episode the discharge ended, so the view read day 21 of a client whose
take-homes dispenseTakeHome capped as on day 2. A day asked for before the readmission
still reads the episode in progress then."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import DOSING, Clinic, mutation

from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
READMIT = mutation("ReadmitClientInput", "readmitClient")


async def test_days_in_treatment_count_from_the_readmission(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Avery K.")
    first = today - timedelta(days=20)
    now = datetime.now(UTC)
    written = (now - timedelta(days=21)).isoformat()
    order = await clinic.methadone("30", first, end=str(first + timedelta(days=2)),
                                   occurredAt=written)  # fmt: skip
    await clinic.doses(order["id"], first, 3, "30")
    await clinic.doctor(DISCHARGE, reason="LEFT_AGAINST_ADVICE",
                        dischargedAt=(now - timedelta(days=11)).isoformat())  # fmt: skip
    await clinic.doctor(READMIT, readmittedAt=(now - timedelta(days=3)).isoformat())
    again = await clinic.methadone(
        "30", today - timedelta(days=2), occurredAt=(now - timedelta(days=3)).isoformat()
    )
    await clinic.dose(again["id"], today - timedelta(days=1), "30")

    dosing = await clinic.read(DOSING)

    assert (dosing["firstDoseDay"], dosing["daysInTreatment"]) == (
        str(today - timedelta(days=1)), 2,
    )  # fmt: skip
    before = await clinic.read(DOSING, on=str(first + timedelta(days=4)))
    assert (before["firstDoseDay"], before["daysInTreatment"]) == (str(first), 5)
