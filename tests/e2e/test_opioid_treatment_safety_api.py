"""Through the API: oxycodone written beside methadone is refused until the pain plan is
acknowledged (opioid-treatment-opioid-analgesic, its version in the error), where it was
written with no finding; and a benzodiazepine the client is prescribed, found on screen after
screen, raises one moderate review naming the prescription, where each screen raised the high
overdose-risk alert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from medication_steps import PRESCRIBE, Clinic, mutation

from carecoord.events import Role
from carecoord.services.kernel.program_day import program_day
from support import Api

pytestmark = pytest.mark.shared_platform

SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId ruleVersion severity detail } }"""
RULE = "opioid-treatment-opioid-analgesic"


def order(medication: str, start: str, **more: Any) -> dict[str, Any]:
    return {"medication": medication, "dose": "5", "unit": "mg", "route": "oral",
            "start": start, **more}  # fmt: skip


async def test_an_analgesic_beside_methadone_asks_for_the_pain_plan(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Ada R.")
    day = program_day(datetime.now(UTC), api.platform.medication.zone)
    today = str(day)
    await clinic.methadone("30", day)

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("Percocet", today))
    assert (refused["code"], refused["field"], refused["rule"], refused["ruleVersion"]) == (
        "RULE_VIOLATION", "acknowledgements", RULE, "1",
    )  # fmt: skip

    plan = {"rule": RULE, "reason": "dental extraction: 3 days, agreed with the dentist"}
    written = await clinic.doctor(PRESCRIBE, **order("oxycodone", today, acknowledgements=[plan]))
    assert [(f["rule"], f["severity"], f["acknowledgedReason"]) for f in written["findings"]] == [
        (RULE, "HIGH", plan["reason"])
    ]


async def test_a_prescribed_benzodiazepine_on_screen_after_screen_is_one_review(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Noor K.")
    day = program_day(datetime.now(UTC), api.platform.medication.zone)
    today = str(day)
    await clinic.methadone("30", day)
    plan = {"rule": "opioid-cns-depressant", "reason": "panic disorder; taper with psychiatry"}
    await clinic.doctor(PRESCRIBE, **order("lorazepam", today, acknowledgements=[plan]))

    found = [{"analyte": "benzodiazepines", "result": "POSITIVE"},
             {"analyte": "methadone", "result": "POSITIVE"}]  # fmt: skip
    for _ in range(2):
        await clinic.nurse(SCREEN, method="PRESUMPTIVE", results=found)

    alerts = await clinic.read(ALERTS)
    assert [(a["ruleId"], a["ruleVersion"], a["severity"], a["detail"]) for a in alerts] == [
        (
            "screen-prescribed-depressant-on-agonist",
            "1",
            "moderate",
            "positive for benzodiazepines while on methadone; expected: lorazepam prescribed",
        )
    ]
