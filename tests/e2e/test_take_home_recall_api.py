"""An order stopped while the client holds take-home bottles for the days after it: the stop
is recorded (it may be urgent), and the care team is told to recall the bottles, by day and
lot. Before, the stop was recorded without a word, and the bottles stayed out unaccounted;
clientDosing still showed their days as take-home doses of an order in force."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import DISCONTINUE, NURSE, TAKE_HOME, Clinic
from screen_steps import ALERTS

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform


async def stopped_with_bottles_out(api: Api, today: date, name: str, bottles: str) -> Clinic:
    """A client on methadone with take-home bottles (``bottles``-0 and -1, lot LOT-A) for
    tomorrow and the day after, whose order is then discontinued."""
    clinic = await Clinic.enroll(api, name)
    start = today - timedelta(days=2)
    order = (await clinic.methadone("60", start))["id"]
    await clinic.doses(order, start, 3, "60")
    await clinic.eligible(6)
    await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=1)), days=2,
        dosageForm="oral solution",
        bottles=[{"bottle": f"{bottles}-{n}", "lot": "LOT-A"} for n in range(2)],
    )  # fmt: skip
    await clinic.doctor(DISCONTINUE, orderId=order, reason="urticaria after the dose")
    return clinic


async def test_a_stop_with_bottles_out_asks_for_their_recall(api: Api, today: date) -> None:
    clinic = await stopped_with_bottles_out(api, today, "Noor K.", "N")

    found = await api.ok(
        ALERTS, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE, user=NURSE
    )
    [alert] = [a for a in found["clientAlerts"] if a["ruleId"] == "take-home-recall"]
    first, second = today + timedelta(days=1), today + timedelta(days=2)
    assert alert["ruleVersion"] == "3"
    assert alert["detail"] == (
        f"2 bottles for days after {today}: lot LOT-A {first} to {second} (2)"
    )


DOSING = """query($id: UUID!, $atLeast: Seq) { clientDosing(clientId: $id, atLeast: $atLeast) {
  takeHomeDoses entries { day status afterStop } } }"""


async def test_bottles_after_the_stop_are_no_doses_of_the_order(api: Api, today: date) -> None:
    clinic = await stopped_with_bottles_out(api, today, "Ines V.", "I")

    found = await clinic.read(DOSING)
    after = [(e["day"], e["afterStop"]) for e in found["entries"] if e["status"] == "take-home"]
    assert after == [(str(today + timedelta(days=n)), True) for n in (1, 2)]
    assert found["takeHomeDoses"] == 0
