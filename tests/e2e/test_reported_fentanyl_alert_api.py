"""Fentanyl use a client reports at a check-in raises the high overdose-risk alert a screen
finding it raises, whatever the client is prescribed, once for the check-in and beside the
relapse review of any reported use, through the API: only the relapse review was raised."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import Clinic, mutation

from support import Api

pytestmark = pytest.mark.shared_platform

CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId ruleVersion severity detail } }"""
NAMED = "named in the check-in"


async def test_reported_fentanyl_use_raises_the_fentanyl_alert(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Remy K.")
    await clinic.nurse(CHECK_IN, substanceUse=True, substances=["Fent", "cannabis"])
    alerts: list[dict[str, Any]] = await clinic.read(ALERTS)
    raised = sorted((a["ruleId"], a["ruleVersion"], a["severity"], a["detail"]) for a in alerts)
    assert raised == [
        ("screen-fentanyl", "2", "high", "use of fentanyl reported at a check-in"),
        ("substance-use-reported", "1", "moderate", "use since last check-in: " + NAMED),
    ]
