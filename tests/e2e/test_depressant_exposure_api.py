"""A benzodiazepine found on a drug screen, or reported used at a check-in, is exposure the
opioid-sedative rule counts, through the API: methadone or buprenorphine written the next day
asks for the acknowledgement a prescribed benzodiazepine asks for, is never a hard stop, and the
finding is kept with the order and listed with the client's findings, naming the screen or
the check-in and when it clears."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from medication_steps import MEDICATIONS, SAFETY, Clinic, mutation

from carecoord.events import Role
from carecoord.services.kernel.program_day import program_day
from support import Api

pytestmark = pytest.mark.shared_platform

RULE = "opioid-cns-depressant"
ACK = {"rule": RULE, "reason": "naloxone given; take-homes and PDMP reviewed"}
PRESCRIBED = mutation(
    "PrescribeInput",
    "prescribeMedication",
    "{ id position findings { rule ruleVersion severity title acknowledgedReason"
    " exposure { medication basis through washoutDays clearFrom } } }",
)
SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")


def today(api: Api) -> date:
    return program_day(datetime.now(UTC), api.platform.medication.zone)


def agonist(code: str, on: date) -> dict[str, Any]:
    route, dose = ("oral", "30") if code == "methadone" else ("sublingual", "8")
    return {"medication": code, "dose": dose, "unit": "mg", "route": route, "start": str(on)}


async def test_methadone_after_a_benzodiazepine_screen_is_acknowledged_and_kept(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Mika S.")
    collected = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    day = program_day(collected, api.platform.medication.zone)
    results = [{"analyte": "benzodiazepines", "result": "POSITIVE"},
               {"analyte": "cannabinoids", "result": "POSITIVE"}]  # fmt: skip
    await clinic.nurse(
        SCREEN, method="PRESUMPTIVE", results=results, collectedAt=collected.isoformat()
    )
    methadone = agonist("methadone", today(api))

    refused = await clinic.refused(PRESCRIBED, Role.PRESCRIBER, **methadone)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        RULE,
    )
    assert (
        f"exposure: benzodiazepines: positive drug screen collected {day}, washout 7 days"
        in refused["message"]
    )
    order = await clinic.doctor(PRESCRIBED, **methadone, acknowledgements=[ACK])

    [found] = order["findings"]
    assert (found["rule"], found["ruleVersion"], found["severity"]) == (RULE, "2", "HIGH")
    assert found["acknowledgedReason"] == ACK["reason"]
    assert found["exposure"] == {
        "medication": "benzodiazepines",
        "basis": f"positive drug screen collected {day}",
        "through": str(day),
        "washoutDays": 7,
        "clearFrom": str(day + timedelta(days=8)),
    }
    listed = await clinic.read(MEDICATIONS)
    assert [(f["rule"], f["acknowledgedReason"]) for f in listed["findings"]] == [
        (RULE, ACK["reason"])
    ]
    assert [(s["kind"], s["rule"]) for s in await clinic.read(SAFETY)] == [("override", RULE)]


async def test_buprenorphine_after_reported_benzodiazepine_use_names_the_check_in(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Jo V.")
    await clinic.nurse(CHECK_IN, substanceUse=True, substances=["Xanax"])

    order = await clinic.doctor(
        PRESCRIBED, **agonist("buprenorphine", today(api)), acknowledgements=[ACK]
    )

    [found] = order["findings"]
    assert found["rule"] == RULE
    assert found["exposure"]["medication"] == "benzodiazepines"
    assert found["exposure"]["basis"].startswith("use reported at a check-in")
