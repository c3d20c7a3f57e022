"""The caseload's last dose day is the last day a dose was taken by today: take-home bottles
handed over for the days to come are not taken yet. It read the last day the bottles cover,
so a client dosed at the window today and sent home with six bottles showed as last dosed
six days ahead."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import DOSE, NURSE, TAKE_HOME, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId lastDoseDay consecutiveMissedDays } } }"""


async def test_bottles_for_days_to_come_are_not_the_last_dose(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Rowan T.")
    start = today - timedelta(days=30)
    order = (await clinic.methadone("60", start))["id"]
    await clinic.doses(order, start, 30, "60")
    await clinic.eligible(6)
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=1)), days=6,
        dosageForm="oral solution",
        bottles=[{"bottle": f"R-{n}", "lot": "LOT-A"} for n in range(6)],
    )  # fmt: skip

    found = await api.ok(CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user=NURSE)
    [line] = [c for c in found["myCaseload"]["clients"] if c["clientId"] == clinic.client_id]
    assert line == {
        "clientId": clinic.client_id,
        "lastDoseDay": str(today),
        "consecutiveMissedDays": 0,
    }
