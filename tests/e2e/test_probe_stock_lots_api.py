"""Through the API: a methadone dose charted against the site's buprenorphine lot is refused
naming the lot and records nothing (before, it took 60 mg out of the buprenorphine tablets'
lot); the same dose from the methadone lot draws on it, and marked entered in error twice
at once gives its amount back once. A dose from a lot not yet received, charted before the
site keeps stock here, is charted, and the daily count waits for the lot's receipt. A dose
or take-home from a lot past its expiry is refused naming the lot's field."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import DOSE, INDUCTED, PRESCRIBE, TAKE_HOME, Clinic, at, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
RECEIVE = mutation("ReceiveStockInput", "receiveStock")
COUNT = mutation("CountStockInput", "countStock")
ON_HAND = """query($site: String!, $atLeast: Seq) {
  stockOnHand(site: $site, atLeast: $atLeast) { lots { lot dispensed onHand } } }"""
SUPPLIER = {"supplier": "Mallinckrodt", "supplierDeaNumber": "RM1234563"}


async def test_a_dose_from_a_lot_of_another_medication_is_refused(api: Api, today: date) -> None:
    site = f"Lot OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Cy L.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(today - timedelta(days=2)), occurredAt=at(today - timedelta(days=3), 6),
    )  # fmt: skip
    expires = str(today + timedelta(days=300))
    for lot, medication, form, order_form in (
        ("M-1", "methadone", "oral solution", "DEA_222"),
        ("B-1", "buprenorphine", "sublingual tablet", "INVOICE"),
    ):
        receipt = {"site": site, "lot": lot, "medication": medication, "dosageForm": form,
                 "quantity": "1000", "containers": 1, "orderForm": order_form,
                 "orderFormNumber": f"F-{lot}", "expiresOn": expires,
                 "receivedAt": at(today - timedelta(days=3)), **SUPPLIER}  # fmt: skip
        await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    dose: dict[str, Any] = {"orderId": order["id"], "amount": "60", "dosageForm": "oral solution"}

    wrong = await clinic.refused(DOSE, **dose, lot="B-1", givenAt=at(today - timedelta(days=1)))

    assert (wrong["code"], wrong["field"], wrong["rule"]) == (
        "RULE_VIOLATION", "lot", "lot-medication",
    )  # fmt: skip
    assert "lot B-1 here is buprenorphine sublingual tablet" in wrong["message"]
    dosed = await clinic.nurse(DOSE, **dose, lot="M-1", givenAt=at(today - timedelta(days=1)))
    mark = {"clientId": clinic.client_id, "doseId": dosed["id"], "reason": "wrong client"}
    marks = [api.gql(IN_ERROR, {"i": mark}, role=Role.NURSE, user="nurse-kim") for _ in range(3)]
    [marked] = [b["data"] for b in await asyncio.gather(*marks) if not b.get("errors")]
    position = marked["markDoseEnteredInError"]["position"]
    stock = await api.ok(ON_HAND, {"site": site, "atLeast": position}, role=Role.NURSE)
    held = {lot["lot"]: (lot["dispensed"], lot["onHand"]) for lot in stock["stockOnHand"]["lots"]}
    assert held == {"B-1": ("0", "1000"), "M-1": ("0", "1000")}


async def test_a_daily_count_waits_for_the_receipt_of_a_lot_doses_drew_on(
    api: Api, today: date
) -> None:
    """Before, an opening count of M-1 alone passed while the stock on hand listed M-2 at
    -60 mg, drawn on by a dose with no receipt of it entered: no count could name M-2, and
    none showed it. The count is refused naming M-2 until its receipt is recorded. (The dose
    is charted before the site keeps stock here: one keeping it refuses a lot not received.)"""
    site = f"Lot OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Di M.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(today - timedelta(days=2)), occurredAt=at(today - timedelta(days=3), 6),
    )  # fmt: skip
    expires = str(today + timedelta(days=300))
    receipt = {"site": site, "lot": "M-1", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "1000", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "F-1", "expiresOn": expires,
               "receivedAt": at(today - timedelta(days=2)), **SUPPLIER}  # fmt: skip
    await clinic.nurse(
        DOSE, orderId=order["id"], amount="60", dosageForm="oral solution", lot="M-2",
        givenAt=at(today - timedelta(days=1)),
    )  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    count = {"site": site, "occasion": "OPENING", "lines": [{"lot": "M-1", "counted": "1000"}],
             "witnessId": "nurse-ola"}  # fmt: skip

    body = await api.gql(COUNT, {"i": count}, role=Role.NURSE, user="nurse-kim")

    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "lines", "count-complete"
    )  # fmt: skip
    assert "no receipt of: M-2;" in error["message"]
    late = receipt | {"lot": "M-2", "orderFormNumber": "F-2", "quantity": "500"}
    await api.ok(RECEIVE, {"i": late}, role=Role.NURSE)
    lines = [{"lot": "M-1", "counted": "1000"}, {"lot": "M-2", "counted": "440"}]
    await api.ok(COUNT, {"i": count | {"lines": lines}}, role=Role.NURSE, user="nurse-kim")


async def test_a_dose_or_take_home_from_a_lot_past_its_expiry_is_refused(
    api: Api, today: date
) -> None:
    """Before, both were given from the expired lot; a dose charted late for a day before
    its expiry still draws on it."""
    site = f"Expiry OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Ida K.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60", acknowledgements=[INDUCTED], unit="mg",
        route="oral", start=str(today - timedelta(days=5)),
        occurredAt=at(today - timedelta(days=6)),
    )  # fmt: skip
    expired = today - timedelta(days=2)
    receipt = {"site": site, "lot": "M-1", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "1000", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "F-1", "expiresOn": str(expired),
               "receivedAt": at(today - timedelta(days=10)), **SUPPLIER}  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    dose: dict[str, Any] = {"orderId": order["id"], "amount": "60", "dosageForm": "oral solution"}
    await clinic.nurse(DOSE, **dose, lot="M-1", givenAt=at(expired))
    await clinic.eligible(7)
    head = await asyncio.to_thread(api.platform.store.last_position)

    late = await clinic.refused(DOSE, **dose, lot="M-1", givenAt=at(today))
    bottle = await clinic.refused(
        TAKE_HOME, orderId=order["id"], firstDay=str(today + timedelta(days=1)), days=1,
        dosageForm="oral solution", bottles=[{"bottle": "TH-1", "lot": "M-1"}],
    )  # fmt: skip

    assert (late["code"], late["field"], late["rule"]) == ("RULE_VIOLATION", "lot", "not-expired")
    assert f"lot M-1 expired on {expired}, before {today}" in late["message"]
    assert (bottle["field"], bottle["rule"]) == ("bottles.0.lot", "not-expired")
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_a_dose_naming_a_lot_in_other_letters_draws_on_the_lot_received(
    api: Api, today: date
) -> None:
    """Before, lot-12 was a lot of its own in the stock view, dispensed 60 with nothing on
    hand, and LOT-12 over by as much."""
    site = f"Letters OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Eli M.", program=site)
    order = await clinic.methadone("60", today - timedelta(days=1))
    receipt = {"site": site, "lot": "LOT-12", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "1000", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "F-12",
               "expiresOn": str(today + timedelta(days=300)), **SUPPLIER}  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)

    dosed = await clinic.nurse(
        DOSE, orderId=order["id"], amount="60", dosageForm="oral solution", lot="lot-12"
    )

    stock = await api.ok(ON_HAND, {"site": site, "atLeast": dosed["position"]}, role=Role.NURSE)
    held = {lot["lot"]: (lot["dispensed"], lot["onHand"]) for lot in stock["stockOnHand"]["lots"]}
    assert held == {"LOT-12": ("60", "940")}


async def test_a_take_home_bottle_for_a_day_after_its_lots_expiry_is_refused(
    api: Api, today: date
) -> None:
    """The lot was good on the day of the hand-over and was given for the days after it:
    a bottle for the day after the expiry held a dose past the date its strength is
    assured to. The bottle for the expiry day itself is drawn on."""
    site = f"Expiry home OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Jo T.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60", acknowledgements=[INDUCTED], unit="mg",
        route="oral", start=str(today - timedelta(days=1)),
        occurredAt=at(today - timedelta(days=2)),
    )  # fmt: skip
    expires = today + timedelta(days=1)
    receipt = {"site": site, "lot": "M-1", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "1000", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "F-1", "expiresOn": str(expires),
               "receivedAt": at(today - timedelta(days=10)), **SUPPLIER}  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    dose: dict[str, Any] = {"orderId": order["id"], "amount": "60", "dosageForm": "oral solution"}
    await clinic.nurse(DOSE, **dose, lot="M-1", givenAt=at(today - timedelta(days=1)))
    await clinic.eligible(7)
    head = await asyncio.to_thread(api.platform.store.last_position)
    take_home = {"orderId": order["id"], "firstDay": str(expires), "days": 2,
                 "dosageForm": "oral solution"}  # fmt: skip

    bottle = await clinic.refused(
        TAKE_HOME, **take_home,
        bottles=[{"bottle": "TH-1", "lot": "M-1"}, {"bottle": "TH-2", "lot": "m-1"}],
    )  # fmt: skip

    assert (bottle["code"], bottle["field"], bottle["rule"]) == (
        "RULE_VIOLATION", "bottles.1.lot", "not-expired",
    )  # fmt: skip
    after = expires + timedelta(days=1)
    assert f"lot m-1 expired on {expires}, before {after}" in bottle["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await clinic.nurse(
        TAKE_HOME, **take_home | {"days": 1}, bottles=[{"bottle": "TH-1", "lot": "M-1"}]
    )


LEDGER = """query($site: String!, $from: Date!, $to: Date!, $lot: String, $atLeast: Seq) {
  stockLedger(site: $site, fromDay: $from, toDay: $to, lot: $lot, atLeast: $atLeast) {
    rows { lot kind } } }"""
DISCREPANCIES = """query($site: String!, $atLeast: Seq) {
  stockDiscrepancies(site: $site, atLeast: $atLeast) { lot } }"""


async def test_a_lot_drawn_on_in_other_letters_before_its_receipt_is_one_lot(
    api: Api, today: date
) -> None:
    """A dose from lot-12 charted before the receipt of LOT-12 is recorded as written (the
    site held no such lot yet), as every dose from another spelling before the lots were
    matched in any letters was: the stock view listed lot-12 at -60 beside LOT-12 at 1000,
    and a daily count of LOT-12 was refused for the doses drawn on lot-12, which no count
    could name. Keyed in any letters, they are the one lot the site received."""
    site = f"Spelling OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Flo N.", program=site)
    order = await clinic.methadone("60", today - timedelta(days=2))
    await clinic.nurse(
        DOSE, orderId=order["id"], amount="60", dosageForm="oral solution", lot="lot-12",
        givenAt=at(today - timedelta(days=1)),
    )  # fmt: skip
    receipt = {"site": site, "lot": "LOT-12", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "1000", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "F-12",
               "expiresOn": str(today + timedelta(days=300)),
               "receivedAt": at(today - timedelta(days=2)), **SUPPLIER}  # fmt: skip
    received = await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    at_least = received["receiveStock"]["position"]

    stock = await api.ok(ON_HAND, {"site": site, "atLeast": at_least}, role=Role.NURSE)
    ledger = await api.ok(
        LEDGER, {"site": site, "from": str(today - timedelta(days=2)), "to": str(today),
                 "lot": "Lot-12", "atLeast": at_least}, role=Role.AUDITOR,
    )  # fmt: skip

    held = {lot["lot"]: (lot["dispensed"], lot["onHand"]) for lot in stock["stockOnHand"]["lots"]}
    assert held == {"LOT-12": ("60", "940")}
    rows = [(row["lot"], row["kind"]) for row in ledger["stockLedger"]["rows"]]
    assert rows == [("lot-12", "dose"), ("LOT-12", "receipt")]
    count = {"site": site, "occasion": "OPENING", "witnessId": "nurse-ola",
             "lines": [{"lot": "LOT-12", "counted": "940"}]}  # fmt: skip
    counted = await api.ok(COUNT, {"i": count}, role=Role.NURSE, user="nurse-kim")
    at_least = counted["countStock"]["position"]
    found = await api.ok(DISCREPANCIES, {"site": site, "atLeast": at_least}, role=Role.NURSE)
    assert found["stockDiscrepancies"] == [], "the count reconciled"


INVENTORY = """query($lot: String!, $atLeast: Seq) { inventoryLedger(lot: $lot, atLeast: $atLeast) {
  lots { lot dispensed entries { amount } } csv } }"""


async def test_the_inventory_ledger_keys_a_lot_in_any_letters(api: Api, today: date) -> None:
    """Before, the dose charted as lot-… before the receipt of LOT-… was a lot of its own in
    the per-lot ledger, and the ledger of LOT-… (or Lot-…) left it out."""
    site, number = f"Ledger OTP {uuid4().hex[:8]}", uuid4().hex[:8]
    clinic = await Clinic.enroll(api, "Gus O.", program=site)
    order = await clinic.methadone("60", today - timedelta(days=2))
    dose: dict[str, Any] = {"orderId": order["id"], "amount": "60", "dosageForm": "oral solution"}
    await clinic.nurse(DOSE, **dose, lot=f"lot-{number}", givenAt=at(today - timedelta(days=2)))
    receipt = {"site": site, "lot": f"LOT-{number.upper()}", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "1000", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "F-1",
               "expiresOn": str(today + timedelta(days=300)),
               "receivedAt": at(today - timedelta(days=3)), **SUPPLIER}  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    dosed = await clinic.nurse(
        DOSE, **dose, lot=f"lot-{number}", givenAt=at(today - timedelta(days=1))
    )

    ledger = await api.ok(
        INVENTORY, {"lot": f"Lot-{number}", "atLeast": dosed["position"]}, role=Role.NURSE,
        user="nurse-kim",
    )  # fmt: skip

    [lot] = ledger["inventoryLedger"]["lots"]
    assert (lot["lot"], lot["dispensed"]) == (f"lot-{number}", "120")
    assert [entry["amount"] for entry in lot["entries"]] == ["60", "60"]
    assert "lot_key" not in ledger["inventoryLedger"]["csv"]
