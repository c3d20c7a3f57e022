"""Through the API: a waste whose witness id is typed as a spreadsheet formula is exported in
the stock ledger's CSV as text (a leading apostrophe), and its change stays a number."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
WASTE = mutation("WasteStockInput", "wasteStock")
LEDGER = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  stockLedger(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) { csv } }"""


async def test_a_witness_id_written_as_a_formula_is_exported_as_text(api: Api) -> None:
    site = f"Harbor OTP {uuid4().hex[:8]}"
    today = datetime.now(UTC).date()
    receipt = methadone_receipt(site, quantity="100")
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    waste = {"site": site, "lot": "M-1", "quantity": "1", "reason": "SPILL",
             "description": "cup knocked over", "witnessId": "@SUM(A1)"}  # fmt: skip
    wasted = await api.ok(WASTE, {"i": waste}, role=Role.NURSE)

    variables = {"site": site, "atLeast": wasted["wasteStock"]["position"], "from": str(today),
                 "to": str(today)}  # fmt: skip
    data = await api.ok(LEDGER, variables, role=Role.AUDITOR)

    rows = list(csv.DictReader(io.StringIO(data["stockLedger"]["csv"])))
    spill = next(r for r in rows if r["kind"] == "waste")
    assert (spill["witness_id"], spill["change"]) == ("'@SUM(A1)", "-1")
