"""A new client's first methadone dose above 50 mg (42 CFR 8.12(h), 2024) through the API:
refused naming the field and rule methadone-initial-dose until the prescriber acknowledges it
with the medical rationale, which is on the safety record as an override; the window holds
the first dosing day to the cap under an order without it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import CHANGE, DOSE, MEDICATIONS, PRESCRIBE, SAFETY, Clinic, at, mutation

from carecoord.events import Role
from support import Api

IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
RATIONALE = "tolerant: 80 mg a day at the prior program, confirmed"


def methadone(dose: str, start: date, **more: object) -> dict[str, object]:
    return {"medication": "methadone", "dose": dose, "unit": "mg", "route": "oral",
            "start": str(start), **more}  # fmt: skip


@pytest.mark.shared_platform
async def test_a_first_order_above_50_mg_is_refused_until_acknowledged(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ines K.")

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **methadone("60", today))

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        "methadone-initial-dose",
    )
    assert "initial dose cap of 50 mg" in refused["message"]
    assert (await clinic.read(MEDICATIONS))["orders"] == []

    ack = {"rule": "methadone-initial-dose", "reason": RATIONALE}
    order = await clinic.doctor(PRESCRIBE, **methadone("60", today, acknowledgements=[ack]))
    [override] = await clinic.read(SAFETY)
    assert (override["kind"], override["rule"], override["ruleVersion"]) == (
        "override",
        "methadone-initial-dose",
        "2024-04-02",
    )
    assert (override["detail"], override["orderId"], override["dose"]) == (
        RATIONALE,
        order["id"],
        "60",
    )
    await clinic.dose(order["id"], today, "60")  # the order carries it: given in full


@pytest.mark.shared_platform
async def test_the_window_holds_a_first_day_to_50_mg_under_an_order_without_it(
    api: Api, today: date
) -> None:
    """The first dose was charted on the wrong client: marked in error, the client has had no
    methadone here, and the raised order written since has no acknowledgement."""
    clinic = await Clinic.enroll(api, "Jon L.")
    first_day, second_day = today - timedelta(days=3), today - timedelta(days=2)
    first = await clinic.doctor(PRESCRIBE, **methadone("40", first_day))
    wrong = await clinic.dose(first["id"], first_day, "40")
    raised = await clinic.doctor(
        CHANGE, orderId=first["id"], dose="60", start=str(second_day), reason="titration",
        acknowledgements=[{"rule": "methadone-titration", "reason": "withdrawal at 40 mg"}],
    )  # fmt: skip
    # dosed here already: the initial dose's acknowledgement not asked, the raise's is
    await clinic.nurse(IN_ERROR, doseId=wrong, reason="charted on the wrong client")

    refused = await clinic.refused(
        DOSE, orderId=raised["id"], amount="60", dosageForm="oral solution", givenAt=at(second_day)
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "amount",
        "methadone-initial-dose",
    )
    assert "at most 50 mg more" in refused["message"]
    await clinic.dose(raised["id"], second_day, "50")
    await clinic.dose(raised["id"], second_day + timedelta(days=1), "60")  # not the first day
