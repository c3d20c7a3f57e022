"""A unit, route or dosage form is named in any letters, as a medication code is: an order of
"Methadone" in "MG" by the "Oral" route, a receipt of "Oral Solution" and a dose poured as
"ORAL SOLUTION" were each refused, the refusal listing the very word in the formulary's
letters (formulary-unit, formulary-route, formulary-form). Each is now recorded as the
formulary writes it, and the DEA log reads it so."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from medication_steps import DOSE, INDUCTED, PRESCRIBE, Clinic, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
LOG = """query($d: Date!, $at: Seq) {
  dispensingLog(fromDay: $d, toDay: $d, atLeast: $at) {
    rows { clientId substance dosageForm amountConsumed } } }"""


async def test_an_order_a_receipt_and_a_dose_name_their_words_in_any_letters(
    api: Api, today: date
) -> None:
    site = f"Letters OTP {uuid4().hex[:8]}"
    receipt = methadone_receipt(site, medication="METHADONE", dosageForm=" Oral Solution")
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    client = await Clinic.enroll(api, "Eve N.", program=site)
    ordered = await client.doctor(
        PRESCRIBE, medication="Methadone", dose="40", unit="MG", route=" Oral",
        start=str(today), acknowledgements=[INDUCTED],
    )  # fmt: skip
    given = await client.nurse(
        DOSE, orderId=ordered["id"], lot="m-1", amount="40", dosageForm="ORAL SOLUTION"
    )

    log = await api.ok(LOG, {"d": str(today), "at": given["position"]}, role=Role.AUDITOR)

    rows = [r for r in log["dispensingLog"]["rows"] if r["clientId"] == client.client_id]
    assert [(r["substance"], r["dosageForm"], r["amountConsumed"]) for r in rows] == [
        ("methadone", "oral solution", "40")
    ]
