"""The medication-safety refusals added to prescribing answer through the API as GraphQL
errors naming the field and the rule, and record nothing: a split dose that does not
divide, methadone marked pharmacy-filled, a second opioid treatment unacknowledged."""

from __future__ import annotations

from datetime import date

import pytest
from medication_steps import MEDICATIONS, PRESCRIBE, Clinic

from carecoord.events import Role
from support import Api


def drug(medication: str, dose: str, route: str, start: date, **more: object) -> dict[str, object]:
    return {"medication": medication, "dose": dose, "unit": "mg", "route": route,
            "start": str(start), **more}  # fmt: skip


@pytest.mark.shared_platform
async def test_prescribing_refusals_name_field_and_rule_and_record_nothing(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Lee V.")

    split = await clinic.refused(
        PRESCRIBE,
        Role.PRESCRIBER,
        **drug("methadone", "100", "oral", today, schedule={"timesPerDay": 3}),
    )
    pharmacy = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **drug("methadone", "60", "oral", today, dispensing="PHARMACY")
    )
    await clinic.doctor(PRESCRIBE, **drug("buprenorphine", "8", "sublingual", today))
    duplicate = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **drug("buprenorphine-naloxone", "8", "sublingual", today)
    )

    assert [(r["code"], r["field"], r["rule"]) for r in (split, pharmacy, duplicate)] == [
        ("BAD_USER_INPUT", "dose", "split-dose-precision"),
        ("BAD_USER_INPUT", "dispensing", "clinic-dispensed"),
        ("RULE_VIOLATION", "acknowledgements", "duplicate-opioid-treatment"),
    ]
    orders = (await clinic.read(MEDICATIONS))["orders"]
    assert [o["medication"] for o in orders] == ["buprenorphine"]
