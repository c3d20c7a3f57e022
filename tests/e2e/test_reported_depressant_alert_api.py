"""Benzodiazepine or alcohol use a client on methadone reports at a check-in raises the
high overdose-risk alert a screen finding it raises, once for the check-in and beside the
relapse review of any reported use, through the API: only the relapse review was raised.
A screen positive for barbiturates raises it too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from medication_steps import Clinic, mutation

from carecoord.services.kernel.program_day import program_day
from support import Api

pytestmark = pytest.mark.shared_platform

CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId ruleVersion severity detail } }"""


async def test_reported_benzodiazepine_use_on_methadone_raises_the_depressant_alert(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Noor T.")
    await clinic.methadone("30", program_day(datetime.now(UTC), api.platform.medication.zone))

    async def raised() -> list[tuple[str, ...]]:
        alerts: list[dict[str, Any]] = await clinic.read(ALERTS)
        return sorted((a["ruleId"], a["ruleVersion"], a["severity"], a["detail"]) for a in alerts)

    await clinic.nurse(CHECK_IN, substanceUse=True, substances=["Xanax", "beer"])
    assert await raised() == [
        (
            "screen-depressant-on-agonist",
            "6",
            "high",
            "use of alcohol, benzodiazepines reported at a check-in while on methadone",
        ),
        (
            "substance-use-reported",
            "1",
            "moderate",
            "use since last check-in: named in the check-in",
        ),
    ]

    results = [{"analyte": "barbiturates", "result": "POSITIVE"},
               {"analyte": "methadone", "result": "POSITIVE"}]  # fmt: skip
    await clinic.nurse(SCREEN, method="PRESUMPTIVE", results=results)
    depressant = [a for a in await raised() if a[0] == "screen-depressant-on-agonist"]
    assert [a[3] for a in depressant] == [
        "positive for barbiturates while on methadone",
        "use of alcohol, benzodiazepines reported at a check-in while on methadone",
    ]
