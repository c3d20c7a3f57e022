"""A prescriber stops methadone for a QTc of 520 while the client holds take-home bottles,
and wants a lower dose given at the window today. Before, nothing recorded the bottles
brought back: the recall stayed open until resolved by hand, and the new order was refused
until the last bottle's day (start-after-last-dispensed), up to 28 days, unless the
take-home was marked entered in error, which says it was never handed over."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from medication_steps import DISCONTINUE, HOLD, NURSE, TAKE_HOME, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RETURN = mutation(
    "TakeHomeReturnInput", "returnTakeHome", "{ id position stillOut { dispenseId day slot lot } }"
)
WITNESS = "nurse-ola"
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId detail status } }"""
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId lastDoseDay } } }"""
DEA_LOG = """query($from: Date!, $to: Date!, $atLeast: Seq) {
  dispensingLog(fromDay: $from, toDay: $to, atLeast: $atLeast) {
    rows { clientId dispensedOn amountTakenHome amountReturned dispenser witness lots note }
    csv } }"""
DOSING = """query($id: UUID!, $atLeast: Seq) { clientDosing(clientId: $id, atLeast: $atLeast) {
  takeHomeDoses takeHomeSupplyDays entries { day status afterStop returned amount detail } } }"""


async def home_with_bottles(api: Api, today: date, name: str) -> tuple[Clinic, str, str]:
    """Methadone 60 mg since two days ago, sent home yesterday with bottles for today and
    the two days after, ``WITNESS`` on the care team: the clinic, the order and the
    take-home."""
    clinic = await Clinic.enroll(api, name)
    start = today - timedelta(days=2)
    order = (await clinic.methadone("60", start))["id"]
    await clinic.doses(order, start, 2, "60")
    await clinic.eligible(6)
    handed = await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(today), days=3, dosageForm="oral solution",
        bottles=[{"bottle": f"R-{n}", "lot": "LOT-A"} for n in range(3)],
    )  # fmt: skip
    clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, WITNESS)
    return clinic, order, handed["id"]


async def recalls(api: Api, clinic: Clinic) -> list[Any]:
    found = await api.ok(
        ALERTS, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE, user=NURSE
    )
    return [a for a in found["clientAlerts"] if a["ruleId"] == "take-home-recall"]


def bottles(dispense_id: str, *days: date, **more: Any) -> list[dict[str, Any]]:
    return [{"dispenseId": dispense_id, "day": str(d), "lot": "LOT-A", **more} for d in days]


async def test_bottles_brought_back_resolve_the_recall_and_a_lower_dose_starts_today(
    api: Api, today: date
) -> None:
    clinic, order, dispense_id = await home_with_bottles(api, today, "Omar Q.")
    await clinic.doctor(DISCONTINUE, orderId=order, reason="QTc 520 ms on today's ECG")
    [alert] = await recalls(api, clinic)
    assert alert["status"] == "OPEN"
    refused = await clinic.refused(
        mutation("PrescribeInput", "prescribeMedication"), role=Role.PRESCRIBER,
        medication="methadone", dose="40", unit="mg", route="oral", start=str(today),
    )  # fmt: skip
    assert refused["rule"] == "start-after-last-dispensed"

    days = [today + timedelta(days=n) for n in range(3)]
    first = await clinic.nurse(RETURN, bottles=bottles(dispense_id, *days[:2]), witnessId=WITNESS)
    assert first["stillOut"] == [
        {"dispenseId": dispense_id, "day": str(days[2]), "slot": 1, "lot": "LOT-A"}
    ]
    [alert] = await recalls(api, clinic)
    assert alert["status"] == "OPEN"
    last = await clinic.nurse(RETURN, bottles=bottles(dispense_id, days[2]), witnessId=WITNESS)
    assert last["stillOut"] == []

    [alert] = await recalls(api, clinic)
    assert alert["status"] == "RESOLVED"
    dosing = await clinic.read(DOSING)
    assert [(e["day"], e["returned"]) for e in dosing["entries"] if e["status"] == "take-home"] == [
        (str(d), True) for d in days
    ]
    back = [e for e in dosing["entries"] if e["status"] == "take-home-returned"]
    assert [(e["day"], e["amount"]) for e in back] == [(str(d), "60") for d in days]
    assert back[0]["detail"] == f"bottle R-0, lot LOT-A, destroyed before {WITNESS}"
    assert (dosing["takeHomeDoses"], dosing["takeHomeSupplyDays"]) == (0, 0)
    # Today's bottle came back whole: the last dose taken was yesterday's at the window.
    found = await api.ok(CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user=NURSE)
    [line] = [c for c in found["myCaseload"]["clients"] if c["clientId"] == clinic.client_id]
    assert line["lastDoseDay"] == str(today - timedelta(days=1))

    lower = await clinic.methadone("40", today)
    assert lower["findings"] == []
    await clinic.dose(lower["id"], today, "40")


async def test_a_return_is_checked_at_the_edge_and_against_what_is_out(
    api: Api, today: date
) -> None:
    clinic, _, dispense_id = await home_with_bottles(api, today, "Rita S.")
    tomorrow = today + timedelta(days=1)

    def says(found: dict[str, Any]) -> tuple[str, str]:
        return found["field"], found["rule"]

    same = await clinic.refused(RETURN, bottles=bottles(dispense_id, tomorrow), witnessId=NURSE)
    assert says(same) == ("witnessId", "witness-distinct")
    more = await clinic.refused(
        RETURN, bottles=bottles(dispense_id, tomorrow, amount="61"), witnessId=WITNESS
    )
    assert says(more) == ("bottles.0.amount", "returned-amount")
    places = await clinic.refused(
        RETURN, bottles=bottles(dispense_id, tomorrow, amount="1.0001"), witnessId=WITNESS
    )
    assert places["code"] == "BAD_USER_INPUT"
    await clinic.nurse(RETURN, bottles=bottles(dispense_id, tomorrow), witnessId=WITNESS)
    again = await clinic.refused(RETURN, bottles=bottles(dispense_id, tomorrow), witnessId=WITNESS)
    assert says(again) == ("bottles.0.day", "bottle-out")
    peer = await api.gql(
        RETURN,
        {"i": {"clientId": clinic.client_id, "bottles": bottles(dispense_id, today),
               "witnessId": WITNESS}},
        role=Role.PEER_SUPPORTER, user="peer-jo",
    )  # fmt: skip
    assert peer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_hold_over_days_bottles_are_out_for_asks_for_their_recall(
    api: Api, today: date
) -> None:
    clinic, order, _ = await home_with_bottles(api, today, "Ayo B.")
    await clinic.doctor(HOLD, orderId=order, reason="intoxicated at the window")

    [alert] = await recalls(api, clinic)
    first, last = today + timedelta(days=1), today + timedelta(days=2)
    assert alert["detail"] == f"2 bottles for days after {today}: lot LOT-A {first} to {last} (2)"


async def test_the_dea_log_shows_each_bottle_returned_and_destroyed(api: Api, today: date) -> None:
    """The log showed the bottles go home and never come back: the doses destroyed on site
    were on no record an inspector reads."""
    clinic, _, dispense_id = await home_with_bottles(api, today, "Ines V.")
    tomorrow = today + timedelta(days=1)
    returned = bottles(dispense_id, tomorrow, amount="20")
    await clinic.nurse(RETURN, bottles=returned, witnessId=WITNESS)

    log = await api.ok(
        DEA_LOG, {"from": str(today), "to": str(today), "atLeast": clinic.position},
        role=Role.AUDITOR, user="auditor-lee",
    )  # fmt: skip
    ours = [r for r in log["dispensingLog"]["rows"] if r["clientId"] == clinic.client_id]
    assert [(r["amountTakenHome"], r["amountReturned"], r["witness"]) for r in ours] == [
        ("180", None, ""), (None, "20", WITNESS),
    ]  # fmt: skip
    [_, back] = ours
    assert (back["dispensedOn"], back["dispenser"], back["lots"]) == (str(today), NURSE, "LOT-A")
    assert back["note"] == (
        f"returned in part and destroyed: bottle R-1 of take-home {dispense_id} for {tomorrow}"
        " slot 1"
    )
    header, *_ = log["dispensingLog"]["csv"].splitlines()
    assert {"amount_returned", "witness"} <= set(header.split(","))
