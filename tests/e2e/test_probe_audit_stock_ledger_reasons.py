"""A site's stock ledger carries no clinician's reason about a client's dose to a program
admin: a dose's or take-home's mark of entered in error read "dose of 2026-12-06 entered in
error: <the nurse's reason>" in ``stockLedger`` (and its CSV), and a replacement dose its
reason, to a program admin, who reads no client's doses (``clientDosing`` refuses them,
``kind-may-read``) and for whom that text is withheld elsewhere, with no access-log entry,
since the ledger names no client. The rows stay (the DEA's count needs them), their reasons
withheld and named in ``withheld``; auditors and the dispensing staff read them whole."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from medication_steps import DOSE, Clinic, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
LEDGER = """query($site: String!, $d: Date!, $at: Seq) {
  stockLedger(site: $site, fromDay: $d, toDay: $d, atLeast: $at) {
    rows { kind detail withheld } csv } }"""
REASON = "vomited, withdrawal symptoms"


async def test_a_doses_reason_in_the_stock_ledger_is_withheld_from_a_program_admin(
    api: Api, today: date
) -> None:
    site = f"Ledger OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site)}, role=Role.NURSE)
    client = await Clinic.enroll(api, "Cy L.", program=site)
    order = (await client.methadone("40", today))["id"]
    given = await client.nurse(DOSE, orderId=order, lot="M-1", amount="40",
                               dosageForm="oral solution")  # fmt: skip
    marked = await client.nurse(IN_ERROR, doseId=given["id"], reason=REASON)
    asked = {"site": site, "d": str(today), "at": marked["position"]}

    admin = (await api.ok(LEDGER, asked, role=Role.PROGRAM_ADMIN))["stockLedger"]
    auditor = (await api.ok(LEDGER, asked, role=Role.AUDITOR))["stockLedger"]

    [in_error] = [r for r in admin["rows"] if r["kind"] == "dose-in-error"]
    assert REASON not in in_error["detail"]
    assert in_error["withheld"] == ["reason"]
    assert REASON not in admin["csv"]
    [whole] = [r for r in auditor["rows"] if r["kind"] == "dose-in-error"]
    assert REASON in whole["detail"]
    assert whole["withheld"] == []
