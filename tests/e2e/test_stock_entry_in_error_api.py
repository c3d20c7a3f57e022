"""Through the API: 100 mg received and 80 dosed, then a second receipt typed as 1000 mg for
100. A program admin marks it entered in error before a witness (a nurse may not; a blank
reason or the admin as their own witness is refused); the same DEA 222 and lot is received
again as 100; a count then reconciles and the views balance, the wrong receipt's row kept
beside its correction. The first receipt cannot be taken back: 80 mg were drawn on it
before the second came in. A spill typed as 60 mg, marked in error, is back on hand. A mark's
witness confirms it under their own token, and the ledger shows when; a receipt corrected
to the amount really received takes the containers really received."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import DOSE, INDUCTED, PRESCRIBE, Clinic, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
IN_ERROR = mutation("StockEntryInErrorInput", "markStockEntryEnteredInError")
COUNT = mutation("CountStockInput", "countStock")
WASTE = mutation("WasteStockInput", "wasteStock")
WITNESS = mutation("WitnessStockEntryInput", "witnessStockEntry")
RESOLVE = mutation("ResolveStockDiscrepancyInput", "resolveStockDiscrepancy")
ON_HAND = """query($site: String!, $atLeast: Seq) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot received wasted dispensed onHand } } }"""
LEDGER = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  stockLedger(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    rows { kind change refId witnessId recordedBy } csv } }"""
WITNESSED = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  stockLedger(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    rows { kind refId detail witnessedAt } csv } }"""
DISCREPANCIES = """query($site: String!, $atLeast: Seq) {
  stockDiscrepancies(site: $site, atLeast: $atLeast, openOnly: false) { lot } }"""
FOUND = """query($site: String!, $atLeast: Seq) {
  stockDiscrepancies(site: $site, atLeast: $atLeast) { alertId variance } }"""


async def receipt(api: Api, site: str, number: str, quantity: str, at: datetime) -> str:
    """Lot M-1 of methadone received at ``site`` on DEA 222 ``number``; its id."""
    given = methadone_receipt(
        site,
        quantity=quantity,
        orderFormNumber=number,
        expiresOn=str(at.date() + timedelta(300)),
        receivedAt=at.isoformat(),
    )
    return str((await api.ok(RECEIVE, {"i": given}, role=Role.NURSE))["receiveStock"]["id"])


async def counted(api: Api, site: str, on_hand: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lot M-1 counted at ``on_hand`` with no discrepancy: the read that follows the count,
    and the stock on hand then."""
    count = {"site": site, "occasion": "SPOT", "lines": [{"lot": "M-1", "counted": on_hand}],
             "witnessId": "nurse-ola"}  # fmt: skip
    at = (await api.ok(COUNT, {"i": count}, role=Role.NURSE))["countStock"]["position"]
    read = {"site": site, "atLeast": at}
    assert (await api.ok(DISCREPANCIES, read, role=Role.AUDITOR))["stockDiscrepancies"] == []
    return read, (await api.ok(ON_HAND, read, role=Role.AUDITOR))["stockOnHand"]


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    extensions = error["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


async def test_a_receipt_entered_in_error_is_marked_and_received_again(api: Api) -> None:
    site = f"Mend OTP {uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
    clinic = await Clinic.enroll(api, "Ed N.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="80",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(start.date()), occurredAt=(start - timedelta(days=1)).isoformat(),
    )  # fmt: skip

    first = await receipt(api, site, "222-1", "100", start)
    await clinic.nurse(
        DOSE, orderId=order["id"], amount="80", dosageForm="oral solution", lot="M-1",
        givenAt=(start + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    wrong = await receipt(api, site, "222-2", "1000", start + timedelta(days=2))
    mark = {"site": site, "entryId": wrong, "reason": "1000 typed for 100",
            "witnessId": "nurse-ola"}  # fmt: skip

    async def as_admin(given: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = await api.gql(
            IN_ERROR, {"i": given}, role=Role.PROGRAM_ADMIN, user="admin-rae"
        )
        return body

    nurse = await api.gql(IN_ERROR, {"i": mark}, role=Role.NURSE)
    assert refusal(nurse) == ("FORBIDDEN", "role", "role-may-record")
    alone = await as_admin(mark | {"witnessId": "admin-rae"})
    assert refusal(alone) == ("RULE_VIOLATION", "witnessId", "witness-distinct")
    blank = await as_admin(mark | {"reason": " "})
    assert refusal(blank) == ("BAD_USER_INPUT", "reason", "reason-required")
    elsewhere = await as_admin(mark | {"site": f"{site} South"})
    assert refusal(elsewhere) == ("NOT_FOUND", "entryId", "unknown-entry")

    # The lot holds 1020 now, but without the first receipt it held -80 after the dose.
    drawn_on = await as_admin(mark | {"entryId": first})
    assert refusal(drawn_on) == ("RULE_VIOLATION", "entryId", "receipt-drawn-on")
    marked = await as_admin(mark)
    assert marked["data"]["markStockEntryEnteredInError"]["id"] == wrong
    again = await as_admin(mark)
    assert refusal(again) == ("RULE_VIOLATION", "entryId", "not-in-error")

    await receipt(api, site, "222-2", "100", start + timedelta(days=2))
    read, stock = await counted(api, site, "120")
    assert stock["lots"] == [
        {"lot": "M-1", "received": "200", "wasted": "0", "dispensed": "80", "onHand": "120"}
    ]
    month = {"from": str(start.date()), "to": str(datetime.now(UTC).date())}
    ledger = (await api.ok(LEDGER, read | month, role=Role.AUDITOR))["stockLedger"]
    [correction] = [r for r in ledger["rows"] if r["kind"] == "receipt-in-error"]
    assert correction == {"kind": "receipt-in-error", "change": "-1000", "refId": wrong,
                          "witnessId": "nurse-ola", "recordedBy": "admin-rae"}  # fmt: skip
    assert [r["change"] for r in ledger["rows"] if r["refId"] == wrong] == ["1000", "-1000"]
    rows = list(csv.DictReader(io.StringIO(ledger["csv"])))
    assert sum(Decimal(r["change"]) for r in rows) == Decimal(120), "the export balances"

    spill = {"site": site, "lot": "M-1", "quantity": "60", "reason": "SPILL",
             "description": "cup knocked over", "witnessId": "nurse-ola"}  # fmt: skip
    spilled = (await api.ok(WASTE, {"i": spill}, role=Role.NURSE))["wasteStock"]["id"]
    marked = await as_admin(mark | {"entryId": spilled, "reason": "60 typed for 6"})
    read["atLeast"] = marked["data"]["markStockEntryEnteredInError"]["position"]
    [lot] = (await api.ok(ON_HAND, read, role=Role.AUDITOR))["stockOnHand"]["lots"]
    assert (lot["wasted"], lot["onHand"]) == ("0", "120"), "the spill's 60 mg are back"


async def test_a_receipt_drawn_on_is_corrected_with_the_amount_really_received(api: Api) -> None:
    site = f"Mend OTP {uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
    clinic = await Clinic.enroll(api, "Flo M.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="80",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(start.date()), occurredAt=(start - timedelta(days=1)).isoformat(),
    )  # fmt: skip
    wrong = await receipt(api, site, "222-1", "1000", start)  # 100 received
    await clinic.nurse(
        DOSE, orderId=order["id"], amount="80", dosageForm="oral solution", lot="M-1",
        givenAt=(start + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    fix = {"site": site, "entryId": wrong, "reason": "1000 typed for 100",
           "witnessId": "nurse-ola", "receivedAmount": "100"}  # fmt: skip

    nurse = await api.gql(IN_ERROR, {"i": fix}, role=Role.NURSE)
    assert refusal(nurse) == ("FORBIDDEN", "role", "role-may-record")
    for amount, refused in [
        ("79", ("RULE_VIOLATION", "receivedAmount", "receipt-drawn-on")),
        ("-5", ("BAD_USER_INPUT", "receivedAmount", "greater_than")),
    ]:
        body = await api.gql(IN_ERROR, {"i": fix | {"receivedAmount": amount}},
                             role=Role.PRESCRIBER, user="dr-lee")  # fmt: skip
        assert refusal(body) == refused, amount
    fixed = await api.ok(IN_ERROR, {"i": fix}, role=Role.PRESCRIBER, user="dr-lee")
    right = fixed["markStockEntryEnteredInError"]["id"]
    assert right != wrong, "the amount received is a receipt of its own"

    read, stock = await counted(api, site, "20")
    assert stock["lots"] == [
        {"lot": "M-1", "received": "100", "wasted": "0", "dispensed": "80", "onHand": "20"}
    ]
    month = {"from": str(start.date()), "to": str(datetime.now(UTC).date())}
    ledger = (await api.ok(LEDGER, read | month, role=Role.AUDITOR))["stockLedger"]
    kinds = [(r["kind"], r["change"], r["refId"]) for r in ledger["rows"] if r["kind"] != "count"]
    assert kinds == [
        ("receipt", "1000", wrong), ("dose", "-80", kinds[1][2]),
        ("receipt-in-error", "-1000", wrong), ("receipt", "100", right),
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(ledger["csv"])))
    assert sum(Decimal(r["change"]) for r in rows) == Decimal(20), "the export balances"


async def test_the_marks_witness_confirms_it_and_the_receipt_keeps_the_containers_given(
    api: Api,
) -> None:
    site = f"Mend OTP {uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    wrong = await receipt(api, site, "222-1", "1000", start)  # 100 in 2 containers
    fix = {"site": site, "entryId": wrong, "reason": "1000 in 1 typed for 100 in 2",
           "witnessId": "nurse-ola", "receivedAmount": "100", "receivedContainers": 2}  # fmt: skip

    async def as_prescriber(given: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = await api.gql(
            IN_ERROR, {"i": given}, role=Role.PRESCRIBER, user="dr-lee"
        )
        return body

    for containers, rule in [(0, "greater_than_equal"), (10_001, "less_than_equal")]:
        body = await as_prescriber(fix | {"receivedContainers": containers})
        assert refusal(body) == ("BAD_USER_INPUT", "receivedContainers", rule), containers
    right = (await as_prescriber(fix))["data"]["markStockEntryEnteredInError"]["id"]

    confirm = {"site": site, "entryId": wrong, "inError": True}
    other = await api.gql(WITNESS, {"i": confirm}, role=Role.NURSE, user="nurse-kim")
    assert refusal(other) == ("RULE_VIOLATION", "entryId", "named-witness")
    entry = {"i": confirm | {"inError": False}}
    the_receipt = await api.gql(WITNESS, entry, role=Role.NURSE, user="nurse-ola")
    assert refusal(the_receipt) == ("NOT_FOUND", "entryId", "unknown-entry")
    seen = await api.ok(WITNESS, {"i": confirm}, role=Role.NURSE, user="nurse-ola")
    again = await api.gql(WITNESS, {"i": confirm}, role=Role.NURSE, user="nurse-ola")
    assert refusal(again) == ("RULE_VIOLATION", "entryId", "witnessed")

    read = {"site": site, "atLeast": seen["witnessStockEntry"]["position"],
            "from": str(start.date()), "to": str(datetime.now(UTC).date())}  # fmt: skip
    ledger = (await api.ok(WITNESSED, read, role=Role.AUDITOR))["stockLedger"]
    rows = {(r["kind"], r["refId"]): r for r in ledger["rows"]}
    assert rows[("receipt-in-error", wrong)]["witnessedAt"] is not None
    assert rows[("witnessed", wrong)]["detail"] == "receipt-in-error"
    assert rows[("receipt", wrong)]["witnessedAt"] is None, "a receipt names no witness"
    assert "dea_222 222-1; 1 containers from" in rows[("receipt", wrong)]["detail"]
    assert "dea_222 222-1; 2 containers from" in rows[("receipt", right)]["detail"]
    exported = {r["kind"]: r for r in csv.DictReader(io.StringIO(ledger["csv"]))}
    assert exported["receipt-in-error"]["witnessed_at"], "the export says it too"


async def test_a_shortfall_a_corrected_receipt_explains_is_not_reported_lost(api: Api) -> None:
    """100 received typed as 1000: the count of 100 is 900 short, and the receipt is then
    corrected to 100. Reported lost, the 900 took the lot to -800 on hand; it is refused
    naming resolution, and the shortfall is resolved as explained."""
    site = f"Mend OTP {uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    wrong = await receipt(api, site, "222-1", "1000", start)
    count = {"site": site, "occasion": "SPOT", "lines": [{"lot": "M-1", "counted": "100"}],
             "witnessId": "nurse-ola"}  # fmt: skip
    at = (await api.ok(COUNT, {"i": count}, role=Role.NURSE))["countStock"]["position"]
    [short] = (await api.ok(FOUND, {"site": site, "atLeast": at}, role=Role.AUDITOR))[
        "stockDiscrepancies"
    ]
    assert short["variance"] == "-900"
    fix = {"site": site, "entryId": wrong, "reason": "1000 typed for 100",
           "witnessId": "nurse-ola", "receivedAmount": "100"}  # fmt: skip
    await api.ok(IN_ERROR, {"i": fix}, role=Role.PRESCRIBER, user="dr-lee")
    resolve = {"site": site, "alertId": short["alertId"], "resolution": "LOSS_REPORTED",
               "note": "DEA Form 106 filed"}  # fmt: skip

    lost = await api.gql(RESOLVE, {"i": resolve}, role=Role.PROGRAM_ADMIN, user="admin-rae")

    assert refusal(lost) == ("RULE_VIOLATION", "resolution", "loss-within-stock")
    explained = {"resolution": "EXPLAINED", "note": "receipt corrected to 100"}
    done = await api.ok(
        RESOLVE, {"i": resolve | explained}, role=Role.PROGRAM_ADMIN, user="admin-rae"
    )
    read = {"site": site, "atLeast": done["resolveStockDiscrepancy"]["position"]}
    [lot] = (await api.ok(ON_HAND, read, role=Role.AUDITOR))["stockOnHand"]["lots"]
    assert (lot["received"], lot["onHand"]) == ("100", "100")
