"""A methadone raise in a course's first 14 days by more than 10 mg (SAMHSA TIP 63) through
the API: refused naming the field, rule methadone-titration, the last increase and when the
next is allowed, recording nothing, until the prescriber acknowledges it with a reason, which
is on the safety record as an override."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import CHANGE, MEDICATIONS, SAFETY, Clinic

from carecoord.events import Role
from support import Api

REASON = "withdrawal by mid-afternoon at 30 mg for four days, no sedation"


@pytest.mark.shared_platform
async def test_a_raise_of_20_mg_on_day_5_is_refused_until_acknowledged(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Rosa T.")
    first_day = today - timedelta(days=4)
    order = await clinic.methadone("30", first_day)
    await clinic.dose(order["id"], first_day, "30")
    change = {"orderId": order["id"], "dose": "50", "start": str(today), "reason": "titration"}

    refused = await clinic.refused(CHANGE, Role.PRESCRIBER, **change)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "dose",
        "methadone-titration",
    )
    assert (refused["lastIncrease"], refused["nextAllowed"]) == (
        str(first_day),
        str(first_day + timedelta(days=3)),
    )
    assert "an increase is at most 10 mg, 3 days or more after the last" in refused["message"]
    assert len((await clinic.read(MEDICATIONS))["orders"]) == 1
    assert await clinic.read(SAFETY) == []

    ack = {"rule": "methadone-titration", "reason": REASON}
    raised = await clinic.doctor(CHANGE, **change, acknowledgements=[ack])

    [override] = await clinic.read(SAFETY)
    assert (override["kind"], override["rule"], override["ruleVersion"]) == (
        "override",
        "methadone-titration",
        "1",
    )
    assert (override["detail"], override["orderId"], override["dose"], override["start"]) == (
        REASON,
        raised["id"],
        "50",
        str(today),
    )


@pytest.mark.shared_platform
async def test_a_change_of_a_raise_written_ahead_is_judged_on_the_dose_the_day_before(
    api: Api, today: date
) -> None:
    """40 mg from two days on, then that order changed to 50 mg from the same day: 30 mg to
    50 mg overnight, which was judged over the 40 mg never given and went through."""
    clinic = await Clinic.enroll(api, "Noa V.")
    first_day, raised_on = today - timedelta(days=1), today + timedelta(days=2)
    order = await clinic.methadone("30", first_day)
    await clinic.dose(order["id"], first_day, "30")
    ahead = {"orderId": order["id"], "dose": "40", "start": str(raised_on), "reason": "titration"}
    written = await clinic.doctor(CHANGE, **ahead)

    refused = await clinic.refused(
        CHANGE, Role.PRESCRIBER, **ahead | {"orderId": written["id"], "dose": "50"}
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "dose",
        "methadone-titration",
    )
    assert "raises the dose in force (30 mg) by 20 mg" in refused["message"]
    orders = (await clinic.read(MEDICATIONS))["orders"]
    assert [(o["id"], o["dose"]) for o in orders] == [(written["id"], "40")]
    assert await clinic.read(SAFETY) == []
