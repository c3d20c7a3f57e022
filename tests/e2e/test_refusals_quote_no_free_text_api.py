"""A refusal names the order, the rule, the day and the field a clinician's reason is read
in, never the reason: a nurse dosing an order a prescriber held was answered "... on hold
... (sedated)", the prescriber's words shown to whoever asked and carried on to the logs
and traces that quote a refusal, where docs/access.md shows them to readers whose grant
holds them alone."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from medication_steps import (
    DISCONTINUE,
    DOSE,
    HOLD,
    INDUCTED,
    MEDICATIONS,
    PRESCRIBE,
    Clinic,
    mutation,
)

from support import Api

HELD = "sedated, slurred speech at the window 7731"
STOPPED = "moved in with her sister upstate 5518"
MARKED = "charted on the wrong chart, twin brother 2290"
IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")


def methadone(start: date) -> dict[str, object]:
    return {
        "medication": "methadone",
        "dose": "60",
        "unit": "mg",
        "route": "oral",
        "start": str(start),
        "acknowledgements": [INDUCTED],
    }


@pytest.mark.shared_platform
async def test_dosing_a_held_order_names_the_rule_and_where_its_reason_is_not_the_reason(
    api: Api, today: date, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = await Clinic.enroll(api, "Dana P.")
    order = (await clinic.doctor(PRESCRIBE, **methadone(today)))["id"]
    await clinic.doctor(HOLD, orderId=order, reason=HELD)

    with caplog.at_level(logging.DEBUG):
        held = await clinic.refused(DOSE, orderId=order, amount="60", dosageForm="oral solution")

    assert (held["code"], held["field"], held["rule"]) == (
        "RULE_VIOLATION",
        "orderId",
        "order-active",
    )
    assert "order is on hold since " in held["message"]
    assert "its reason is the order's hold.reason: read clientMedications" in held["message"]
    assert HELD not in held["message"]
    assert HELD not in caplog.text
    # Where the refusal points, a reader whose grant holds it reads the reason.
    [shown] = (await clinic.read(MEDICATIONS))["orders"]
    assert shown["hold"]["reason"] == HELD


@pytest.mark.shared_platform
async def test_dosing_a_stopped_order_and_marking_a_dose_twice_quote_no_reason(
    api: Api, today: date, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = await Clinic.enroll(api, "Lee M.")
    order = (await clinic.doctor(PRESCRIBE, **methadone(today)))["id"]
    dose = await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.nurse(IN_ERROR, doseId=dose["id"], reason=MARKED)
    await clinic.doctor(DISCONTINUE, orderId=order, reason=STOPPED)

    with caplog.at_level(logging.DEBUG):
        twice = await clinic.refused(IN_ERROR, doseId=dose["id"], reason="again")
        stopped = await clinic.refused(
            DOSE, orderId=order, amount="60", dosageForm="oral solution"
        )

    assert (twice["field"], twice["rule"]) == ("doseId", "not-in-error")
    assert "its reason is the entry's detail: read clientDosing" in twice["message"]
    assert (stopped["field"], stopped["rule"]) == ("orderId", "order-active")
    assert "its reason is the order's stoppedReason: read clientMedications" in (
        stopped["message"]
    )
    for said in (MARKED, STOPPED):
        assert said not in twice["message"]
        assert said not in stopped["message"]
        assert said not in caplog.text
