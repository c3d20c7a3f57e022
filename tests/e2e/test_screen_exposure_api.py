"""A urine drug screen positive for an opioid is exposure the naltrexone rules count, through
the API: naltrexone started within a week of the specimen is a hard stop kept on record and
naming the screen; the screen marked entered in error no longer counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import PRESCRIBE, SAFETY, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
IN_ERROR = mutation("CheckInInErrorInput", "markCheckInEnteredInError")


def naltrexone_today() -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {"medication": "naltrexone", "dose": "50", "unit": "mg", "route": "oral",
            "start": str(today)}  # fmt: skip


async def test_naltrexone_after_a_fentanyl_positive_screen_is_refused_until_it_is_in_error(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Ari P.")
    collected = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    results = [{"analyte": "fentanyl", "result": "POSITIVE"},
               {"analyte": "opiates", "result": "NEGATIVE"}]  # fmt: skip
    screen = await clinic.nurse(
        SCREEN, method="PRESUMPTIVE", results=results, collectedAt=collected.isoformat()
    )

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **naltrexone_today())

    day = collected.date()
    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "medication",
        "naltrexone-opioid-agonist",
    )
    assert (
        f"exposure: fentanyl: positive drug screen collected {day}, washout 7 days"
        in refused["message"]
    )
    assert f"naltrexone may start on {day + timedelta(days=8)} at the earliest" in (
        refused["message"]
    )
    clinic.position = refused["position"]
    [stop] = await clinic.read(SAFETY)
    assert (stop["kind"], stop["rule"], stop["medication"]) == (
        "hard-stop-refused",
        "naltrexone-opioid-agonist",
        "naltrexone",
    )
    assert stop["exposure"].startswith(f"fentanyl: positive drug screen collected {day}")

    await clinic.nurse(IN_ERROR, entryId=screen["id"], reason="specimen of another client")
    order = await clinic.doctor(PRESCRIBE, **naltrexone_today())

    assert order["findings"] == []
