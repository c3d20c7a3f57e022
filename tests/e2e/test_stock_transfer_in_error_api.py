"""Through the API: North sends South 400 mg of lot M-2 that it never sent. A program admin
marks the transfer entered in error (a nurse may not; a blank reason, an unknown transfer or
the wrong receiving site is refused naming its field); sent again under the same
Idempotency-Key the mark answers as it did and is recorded once, and marked again it is
refused. Both sites' stock is back to what it was, each ledger shows the transfer's row and
its correction, and each export balances. A transfer whose stock South already wasted is
refused naming South: its lot would go below zero."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
TRANSFER = mutation("TransferStockInput", "transferStock")
WASTE = mutation("WasteStockInput", "wasteStock")
IN_ERROR = mutation("TransferInErrorInput", "markTransferEnteredInError")
ON_HAND = """query($site: String!, $atLeast: Seq) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot transferredIn transferredOut onHand } } }"""
LEDGER = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  stockLedger(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    rows { kind change refId recordedBy } csv } }"""


async def sent(api: Api, site: str, other: str, lot: str, quantity: str, number: str) -> str:
    given = {"site": site, "toSite": other, "lot": lot, "quantity": quantity,
             "orderForm": "DEA_222", "orderFormNumber": number}  # fmt: skip
    return str((await api.ok(TRANSFER, {"i": given}, role=Role.NURSE))["transferStock"]["id"])


async def as_admin(api: Api, given: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN, 'admin-rae')}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"query": IN_ERROR, "variables": {"i": given}}
    answer: dict[str, Any] = (await api.http.post("/graphql", json=body, headers=headers)).json()
    return answer


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    extensions = error["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


async def lots(api: Api, site: str, at: int) -> dict[str, tuple[str, str, str]]:
    data = await api.ok(ON_HAND, {"site": site, "atLeast": at}, role=Role.AUDITOR)
    return {
        lot["lot"]: (lot["transferredIn"], lot["transferredOut"], lot["onHand"])
        for lot in data["stockOnHand"]["lots"]
    }


async def test_a_transfer_entered_in_error_is_undone_at_both_sites(api: Api) -> None:
    north, south = (f"{name} OTP {uuid4().hex[:8]}" for name in ("North", "South"))
    for lot, number in (("M-1", "222-1"), ("M-2", "222-2")):
        given = methadone_receipt(north, lot=lot, orderFormNumber=number)
        await api.ok(RECEIVE, {"i": given}, role=Role.NURSE)
    await api.ok(RECEIVE, {"i": methadone_receipt(south, lot="S-1")}, role=Role.NURSE)
    wrong = await sent(api, north, south, "M-2", "400", "222-T2")
    mark = {"site": north, "toSite": south, "transferId": wrong, "reason": "never sent"}

    nurse = await api.gql(IN_ERROR, {"i": mark}, role=Role.NURSE)
    assert refusal(nurse) == ("FORBIDDEN", "role", "role-may-record")
    blank = await as_admin(api, mark | {"reason": " "})
    assert refusal(blank) == ("BAD_USER_INPUT", "reason", "reason-required")
    unknown = await as_admin(api, mark | {"transferId": str(uuid4())})
    assert refusal(unknown) == ("NOT_FOUND", "transferId", "unknown-transfer")
    at_south = await as_admin(api, mark | {"site": south, "toSite": north})
    assert refusal(at_south) == ("NOT_FOUND", "transferId", "unknown-transfer")
    elsewhere = await as_admin(api, mark | {"toSite": f"{south} East"})
    assert refusal(elsewhere) == ("RULE_VIOLATION", "toSite", "transfer-site")

    key = str(uuid4())
    marked = await as_admin(api, mark, key)
    assert marked["data"]["markTransferEnteredInError"]["id"] == wrong
    assert await as_admin(api, mark, key) == marked, "the retry answers as the mark did"
    again = await as_admin(api, mark)
    assert refusal(again) == ("RULE_VIOLATION", "transferId", "not-in-error")

    at = marked["data"]["markTransferEnteredInError"]["position"]
    assert (await lots(api, north, at))["M-2"] == ("0", "0", "1000")
    assert (await lots(api, south, at))["M-2"] == ("0", "0", "0")
    today = str(datetime.now(UTC).date())
    for site, kinds, total in (
        (north, [("transfer-out", "-400"), ("transfer-out-in-error", "400")], 2000),
        (south, [("transfer-in", "400"), ("transfer-in-in-error", "-400")], 1000),
    ):
        read = {"site": site, "atLeast": at, "from": today, "to": today}
        ledger = (await api.ok(LEDGER, read, role=Role.AUDITOR))["stockLedger"]
        assert [(r["kind"], r["change"]) for r in ledger["rows"] if r["refId"] == wrong] == kinds
        assert ledger["rows"][-1]["recordedBy"] == "admin-rae"
        rows = list(csv.DictReader(io.StringIO(ledger["csv"])))
        assert sum(Decimal(r["change"]) for r in rows) == Decimal(total), site


async def test_a_transfer_the_receiving_site_used_is_refused_naming_it(api: Api) -> None:
    north, south = (f"{name} OTP {uuid4().hex[:8]}" for name in ("North", "South"))
    await api.ok(RECEIVE, {"i": methadone_receipt(north)}, role=Role.NURSE)
    await api.ok(RECEIVE, {"i": methadone_receipt(south, lot="S-1")}, role=Role.NURSE)
    transfer_id = await sent(api, north, south, "M-1", "300", "222-T1")
    spill = {"site": south, "lot": "M-1", "quantity": "250", "reason": "SPILL",
             "description": "bottle dropped", "witnessId": "nurse-ola"}  # fmt: skip
    at = (await api.ok(WASTE, {"i": spill}, role=Role.NURSE))["wasteStock"]["position"]
    mark = {"site": north, "toSite": south, "transferId": transfer_id, "reason": "wrong site"}

    body = await as_admin(api, mark)

    assert refusal(body) == ("RULE_VIOLATION", "transferId", "transfer-drawn-on")
    assert f"lot M-1 at {south} has held as little as 50" in body["errors"][0]["message"]
    assert (await lots(api, north, at))["M-1"] == ("0", "300", "700")
    assert (await lots(api, south, at))["M-1"] == ("300", "0", "50")
