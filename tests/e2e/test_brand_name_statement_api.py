"""A medication the client takes from elsewhere, told by its brand, is recorded through the
API as the formulary's medication and meets the rules: recordMedicationStatement refused
Klonopin as not in the formulary, so a benzodiazepine beside methadone went unrecorded."""

from __future__ import annotations

from datetime import date

import pytest
from medication_steps import MEDICATIONS, STATEMENT, Clinic

from support import Api


@pytest.mark.shared_platform
async def test_a_brand_taken_elsewhere_is_its_medication_and_meets_methadone(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Sam K.")
    await clinic.methadone("30", today)
    stated = await clinic.nurse(
        STATEMENT, medication="Klonopin", source="OTHER_PRESCRIBER", dose="0.5", unit="mg",
        sourceDetail="community psychiatrist",
    )  # fmt: skip

    medications = await clinic.read(MEDICATIONS)
    assert [(s["id"], s["medication"]) for s in medications["statements"]] == [
        (stated["id"], "clonazepam")
    ]
    assert {f["rule"] for f in medications["findings"]} == {"opioid-cns-depressant"}
