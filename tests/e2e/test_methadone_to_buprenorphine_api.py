"""A first buprenorphine dose within 24 hours of the last methadone dose precipitates
withdrawal, and was neither asked about when ordered nor refused at the window: a client
dosed methadone yesterday morning was started on sublingual buprenorphine this morning with
nothing said. The order needs the prescriber's acknowledgement, and the window refuses the
dose without one, each naming the hours since the last methadone and recording nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from medication_steps import DOSE, DOSING, PRESCRIBE, SAFETY, Clinic, at

from carecoord.events import Role
from support import Api

RULE = "methadone-to-buprenorphine"
SUBLINGUAL = {"medication": "buprenorphine", "dose": "4", "unit": "mg", "route": "sublingual"}


def clock(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), UTC).isoformat()


@pytest.mark.shared_platform
async def test_buprenorphine_within_a_day_of_methadone_is_asked_for_and_refused(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ode M.")
    first = today - timedelta(days=10)
    methadone = await clinic.methadone("30", first, end=str(first + timedelta(days=1)))
    await clinic.dose(methadone["id"], first, "30")
    await clinic.dose(methadone["id"], first + timedelta(days=1), "30")  # 9 o'clock
    switch = first + timedelta(days=2)

    unasked = await clinic.refused(
        PRESCRIBE, role=Role.PRESCRIBER, **SUBLINGUAL, start=str(switch), occurredAt=at(first, 8)
    )
    plan = {"rule": RULE, "reason": "low-dose overlap per protocol"}
    planned = await clinic.doctor(
        PRESCRIBE, **SUBLINGUAL, start=str(switch), end=str(switch),
        occurredAt=at(first + timedelta(days=1), 10), acknowledgements=[plan],
    )  # fmt: skip
    assert (unasked["code"], unasked["field"], unasked["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        RULE,
    )
    assert unasked["hoursSinceMethadone"] == 15
    [override] = [e for e in await clinic.read(SAFETY) if e["rule"] == RULE]
    assert (override["kind"], override["ruleVersion"], override["orderId"]) == (
        "override",
        "2",
        planned["id"],
    )


@pytest.mark.shared_platform
async def test_the_window_refuses_buprenorphine_within_a_day_of_methadone(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ode N.")
    first = today - timedelta(days=10)
    switch = first + timedelta(days=2)
    ahead = await clinic.doctor(
        PRESCRIBE, **SUBLINGUAL, start=str(switch), occurredAt=at(first, 7)
    )  # no methadone on record yet
    methadone = await clinic.methadone("30", first, end=str(first + timedelta(days=1)))
    await clinic.dose(methadone["id"], first, "30")
    await clinic.dose(methadone["id"], first + timedelta(days=1), "30")  # 9 o'clock
    dose = {"orderId": ahead["id"], "amount": "4", "dosageForm": "sublingual film", "lot": "L"}

    sooner = await clinic.refused(DOSE, **dose, givenAt=clock(switch, 8))
    assert (sooner["code"], sooner["field"], sooner["rule"]) == ("RULE_VIOLATION", "orderId", RULE)
    assert sooner["hoursSinceMethadone"] == 23
    assert "23 h" in sooner["message"]
    dosing = await clinic.read(DOSING)
    assert [e["medication"] for e in dosing["entries"] if e["status"] == "given"] == [
        "methadone",
        "methadone",
    ]
    await clinic.nurse(DOSE, **dose, givenAt=clock(switch, 10))  # 25 hours on
