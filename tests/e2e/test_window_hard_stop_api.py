"""An XR-naltrexone order written with no opioid on record is not injected after a
fentanyl-positive screen recorded since, through the API: the injection is refused naming
the order and the hard-stop rule, and nothing of it is recorded (no dose in clientDosing, no
dose on the timeline); it was given, with nothing between the screen and the needle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from medication_steps import DOSE, DOSING, PRESCRIBE, TIMELINE, Clinic, mutation

from support import Api

pytestmark = pytest.mark.shared_platform

SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")


async def test_an_injection_after_a_fentanyl_positive_screen_is_refused_and_not_recorded(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Noor V.")
    today = datetime.now(UTC).date()
    order = await clinic.doctor(
        PRESCRIBE, medication="naltrexone-xr", dose="380", unit="mg", route="intramuscular",
        start=str(today), schedule={"timesPerDay": 1, "everyDays": 28},
    )  # fmt: skip
    assert order["findings"] == []
    await clinic.nurse(
        SCREEN, method="PRESUMPTIVE", results=[{"analyte": "fentanyl", "result": "POSITIVE"}]
    )

    refused = await clinic.refused(DOSE, orderId=order["id"], amount="380", dosageForm="injection")

    assert (refused["code"], refused["field"], refused["rule"], refused["ruleVersion"]) == (
        "RULE_VIOLATION",
        "orderId",
        "naltrexone-opioid-agonist",
        "2",
    )
    assert "hard stop" in refused["message"]
    dosing = await clinic.read(DOSING)
    assert (dosing["given"], dosing["entries"]) == (0, [])
    timeline = await clinic.read(TIMELINE)
    assert "medication.DoseAdministered" not in [n["type"] for n in timeline["nodes"]]
