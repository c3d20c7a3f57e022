"""The DEA dispensing log carries no clinician's reason about a client's dose to a program
admin, as the stock ledger does not: a dose's mark of entered in error read "entered in error:
corrects dose <id> of <day>: <the nurse's reason>" in ``dispensingLog`` (and its CSV), and a
replacement dose "replaces <id>: <its reason>", to a program admin, who reads no client's
doses and from whom the stock ledger and clientDosing withhold that text. The lines stay
(the DEA's record needs them), their reasons withheld and named in ``withheld``; auditors
and the dispensing staff read them whole."""

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
IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
LOG = """query($d: Date!, $at: Seq) {
  dispensingLog(fromDay: $d, toDay: $d, atLeast: $at) { rows { clientId note withheld } csv } }"""
MARKED, REPLACED = "vomited, withdrawal symptoms", "re-dosed after: emesis"


async def test_a_doses_reasons_in_the_dispensing_log_are_withheld_from_a_program_admin(
    api: Api, today: date
) -> None:
    site = f"Log OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site)}, role=Role.NURSE)
    client = await Clinic.enroll(api, "Di M.", program=site)
    order = (await client.methadone("40", today))["id"]
    poured = {"orderId": order, "lot": "M-1", "amount": "40", "dosageForm": "oral solution"}
    given = await client.nurse(DOSE, **poured)
    again = await client.nurse(REPLACE, replacesDoseId=given["id"], reason=REPLACED, **poured)
    marked = await client.nurse(IN_ERROR, doseId=again["id"], reason=MARKED)
    asked = {"d": str(today), "at": marked["position"]}

    admin = (await api.ok(LOG, asked, role=Role.PROGRAM_ADMIN))["dispensingLog"]
    auditor = (await api.ok(LOG, asked, role=Role.AUDITOR))["dispensingLog"]

    mine = [r for r in admin["rows"] if r["clientId"] == client.client_id]
    assert [(r["note"], r["withheld"]) for r in mine] == [
        ("", []),
        (f"replaces {given['id']}", ["reason"]),
        (f"entered in error: corrects dose {again['id']} of {today}", ["reason"]),
    ]
    assert MARKED not in admin["csv"]
    assert REPLACED not in admin["csv"]
    whole = [r for r in auditor["rows"] if r["clientId"] == client.client_id]
    assert [r["withheld"] for r in whole] == [[], [], []]
    assert (REPLACED in whole[1]["note"], MARKED in whole[2]["note"]) == (True, True)
