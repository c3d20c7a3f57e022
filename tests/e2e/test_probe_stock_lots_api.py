"""Through the API: a methadone dose charted against the site's buprenorphine lot is refused
naming the lot and records nothing (before, it took 60 mg out of the buprenorphine tablets'
lot); the same dose from the methadone lot draws on it, and marked entered in error twice
at once gives its amount back once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import DOSE, PRESCRIBE, Clinic, at, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
RECEIVE = mutation("ReceiveStockInput", "receiveStock")
ON_HAND = """query($site: String!, $atLeast: Int) {
  stockOnHand(site: $site, atLeast: $atLeast) { lots { lot dispensed onHand } } }"""
SUPPLIER = {"supplier": "Mallinckrodt", "supplierDeaNumber": "RM1234563"}
TODAY = datetime.now(UTC).date()


async def test_a_dose_from_a_lot_of_another_medication_is_refused(api: Api) -> None:
    site = f"Lot OTP {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Cy L.", program=site)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60", unit="mg", route="oral",
        start=str(TODAY - timedelta(days=2)), occurredAt=at(TODAY - timedelta(days=3), 6),
    )  # fmt: skip
    expires = str(TODAY + timedelta(days=300))
    for lot, medication, form, order_form in (
        ("M-1", "methadone", "oral solution", "DEA_222"),
        ("B-1", "buprenorphine", "sublingual tablet", "INVOICE"),
    ):
        receipt = {"site": site, "lot": lot, "medication": medication, "dosageForm": form,
                 "quantity": "1000", "containers": 1, "orderForm": order_form,
                 "orderFormNumber": f"F-{lot}", "expiresOn": expires, **SUPPLIER}  # fmt: skip
        await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    dose: dict[str, Any] = {"orderId": order["id"], "amount": "60", "dosageForm": "oral solution"}

    wrong = await clinic.refused(DOSE, **dose, lot="B-1", givenAt=at(TODAY - timedelta(days=1)))

    assert (wrong["code"], wrong["field"], wrong["rule"]) == (
        "RULE_VIOLATION", "lot", "lot-medication",
    )  # fmt: skip
    assert "lot B-1 here is buprenorphine sublingual tablet" in wrong["message"]
    dosed = await clinic.nurse(DOSE, **dose, lot="M-1", givenAt=at(TODAY - timedelta(days=1)))
    mark = {"clientId": clinic.client_id, "doseId": dosed["id"], "reason": "wrong client"}
    marks = [api.gql(IN_ERROR, {"i": mark}, role=Role.NURSE, user="nurse-kim") for _ in range(3)]
    [marked] = [b["data"] for b in await asyncio.gather(*marks) if not b.get("errors")]
    position = marked["markDoseEnteredInError"]["position"]
    stock = await api.ok(ON_HAND, {"site": site, "atLeast": position}, role=Role.NURSE)
    held = {lot["lot"]: (lot["dispensed"], lot["onHand"]) for lot in stock["stockOnHand"]["lots"]}
    assert held == {"B-1": ("0", "1000"), "M-1": ("0", "1000")}
