"""An amount reads as its number wherever a reader reads it, and stays recorded as written:
a dose sent as "40.000000000000" read "Prescribed methadone 40.000000000000 mg oral" on the
timeline and "40.000000000000" in clientMedications, clientDosing and the dispensing log, and
a receipt of "1000.000" mg as much in the stock on hand."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from medication_steps import DOSE, REPLACE, Clinic, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
READ = """query($id: UUID!, $atLeast: Seq, $d: Date!, $site: String!) {
  clientTimeline(clientId: $id, atLeast: $atLeast, kinds: [MEDICATION, DOSING]) {
    nodes { summary facts } }
  clientMedications(clientId: $id, atLeast: $atLeast) { orders { dose } }
  clientDosing(clientId: $id, atLeast: $atLeast) { entries { status amount } }
  dispensingLog(fromDay: $d, toDay: $d, atLeast: $atLeast) {
    rows { clientId amountConsumed } csv }
  stockOnHand(site: $site, atLeast: $atLeast) { lots { received dispensed onHand } } }"""


async def test_a_dose_written_with_trailing_zeros_reads_as_its_number(
    api: Api, today: date
) -> None:
    site = f"Amounts OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site, quantity="1000.000")}, role=Role.NURSE)
    client = await Clinic.enroll(api, "Noa P.", program=site)
    order = (await client.methadone("40.000000000000", today, schedule={"timesPerDay": 2}))["id"]
    poured = {"orderId": order, "lot": "M-1", "dosageForm": "oral solution"}
    given = await client.nurse(DOSE, amount="20.000", **poured)
    await client.nurse(
        REPLACE, replacesDoseId=given["id"], reason="spilled", amount="20.0", **poured
    )

    read = await api.ok(
        READ, {"id": client.client_id, "atLeast": client.position, "d": str(today), "site": site},
        role=Role.PRESCRIBER, user="dr-lee",
    )  # fmt: skip

    timeline = read["clientTimeline"]["nodes"]
    assert [n["summary"] for n in timeline] == [
        "Prescribed methadone 40 mg oral",
        "Dose given: methadone 20 mg",
        "Replacement dose given: methadone 20 mg (spilled)",
    ]
    written = [n["facts"].get("dose") or n["facts"]["amount"] for n in timeline]
    assert written == ["40.000000000000", "20.000", "20.0"], "recorded as written"
    assert read["clientMedications"]["orders"] == [{"dose": "40"}]
    assert read["clientDosing"]["entries"] == [
        {"status": "given", "amount": "20"},
        {"status": "replacement", "amount": "20"},
    ]
    log = read["dispensingLog"]
    mine = [r["amountConsumed"] for r in log["rows"] if r["clientId"] == client.client_id]
    assert mine == ["20", "20"]
    assert f"{client.client_id},{today}," in log["csv"]
    assert ".000" not in log["csv"]
    [lot] = read["stockOnHand"]["lots"]
    assert lot == {"received": "1000", "dispensed": "40", "onHand": "960"}
