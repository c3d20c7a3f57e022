"""Through the API: a dose from a lot holding less than it is refused naming the lot (rule
``on-hand``) and records nothing; before, it was recorded and the lot read below zero. A dose
marked entered in error gives its amount back, and the lot may be drawn on again. A dose
from a lot the site has not received (by the time given) is refused naming the lot (rule
``unknown-lot``) and records nothing; before the site keeps stock, any lot is taken. A waste
past what doses left the lot is refused naming its quantity (rule ``on-hand``), and a waste
and a dose sent at once never both take the last of it."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import DOSE, DOSING, Clinic, at, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
WASTE = mutation("WasteStockInput", "wasteStock")
ON_HAND = """query($site: String!, $atLeast: Seq) {
  stockOnHand(site: $site, atLeast: $atLeast) { lots { lot dispensed onHand } } }"""


async def test_a_dose_past_what_the_lot_holds_is_refused_and_not_recorded(
    api: Api, today: date
) -> None:
    site = f"Draw OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site, quantity="100")}, role=Role.NURSE)
    first, second = [await Clinic.enroll(api, name, program=site) for name in ("Al D.", "Bo D.")]
    orders = [(await c.methadone("60", today - timedelta(days=1)))["id"] for c in (first, second)]
    dose: dict[str, Any] = {"amount": "60", "dosageForm": "oral solution"}
    given = await first.nurse(DOSE, orderId=orders[0], lot="M-1", **dose)

    refused = await second.refused(DOSE, orderId=orders[1], lot="m-1", **dose)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION", "lot", "on-hand",
    )  # fmt: skip
    assert "lot M-1 holds 40 mg by the site's record, not the 60 mg" in refused["message"]
    assert (await second.read(DOSING))["entries"] == []
    stock = await api.ok(ON_HAND, {"site": site, "atLeast": given["position"]}, role=Role.NURSE)
    assert [(x["lot"], x["onHand"]) for x in stock["stockOnHand"]["lots"]] == [("M-1", "40")]

    mark = {"doseId": given["id"], "reason": "charted on the wrong client"}
    await first.nurse(IN_ERROR, **mark)
    await second.nurse(DOSE, orderId=orders[1], lot="M-1", **dose)
    assert [e["status"] for e in (await second.read(DOSING))["entries"]] == ["given"]


async def test_a_waste_past_what_doses_left_is_refused_and_one_at_once_with_a_dose_too(
    api: Api, today: date
) -> None:
    site = f"Waste OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site, quantity="100")}, role=Role.NURSE)
    first, second = [await Clinic.enroll(api, name, program=site) for name in ("Al W.", "Bo W.")]
    orders = [(await c.methadone("60", today - timedelta(days=1)))["id"] for c in (first, second)]
    await first.nurse(DOSE, orderId=orders[0], lot="M-1", amount="60", dosageForm="oral solution")
    spill = {"site": site, "lot": "m-1", "reason": "SPILL", "description": "cup knocked over",
             "witnessId": "nurse-ola"}  # fmt: skip

    body = await api.gql(WASTE, {"i": spill | {"quantity": "60"}}, role=Role.NURSE)

    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "RULE_VIOLATION", "quantity"
    )  # fmt: skip
    assert error["extensions"]["rule"] == "on-hand"
    assert "lot M-1 holds 40 mg" in error["message"]

    dose = {"clientId": second.client_id, "orderId": orders[1], "lot": "M-1", "amount": "40",
            "dosageForm": "oral solution"}  # fmt: skip
    both = await asyncio.gather(
        api.gql(WASTE, {"i": spill | {"quantity": "40"}}, role=Role.NURSE),
        api.gql(DOSE, {"i": dose}, role=Role.NURSE, user="nurse-kim"),
    )
    refused = [e["extensions"] for body in both for e in body.get("errors") or ()]
    assert [(r["code"], r["rule"]) for r in refused] == [("RULE_VIOLATION", "on-hand")]
    head = max(r["position"] for body in both for r in (body["data"] or {}).values() if r)
    stock = await api.ok(ON_HAND, {"site": site, "atLeast": head}, role=Role.NURSE)
    assert [(x["lot"], x["onHand"]) for x in stock["stockOnHand"]["lots"]] == [("M-1", "0")]


async def test_a_dose_from_a_lot_the_site_has_not_received_is_refused_and_not_recorded(
    api: Api, today: date
) -> None:
    """Before, a mistyped lot (M-1O for M-1) was charted and read below zero, a lot of its
    own in the DEA dispensing log; so was M-1 for a dose charted late, given before M-1 came
    in. Before the site keeps stock here, a lot is the nurse's word alone, as it was."""
    site = f"Unknown lot OTP {uuid4().hex[:8]}"
    first, second = [await Clinic.enroll(api, name, program=site) for name in ("Al U.", "Bo U.")]
    yesterday = today - timedelta(days=1)
    written = at(yesterday - timedelta(days=1))
    orders = [
        (await c.methadone("60", yesterday, occurredAt=written))["id"] for c in (first, second)
    ]
    dose: dict[str, Any] = {"amount": "60", "dosageForm": "oral solution"}
    await first.nurse(DOSE, orderId=orders[0], lot="M-1O", **dose)
    receipt = methadone_receipt(site, receivedAt=at(yesterday, 12))
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)

    typo = await second.refused(DOSE, orderId=orders[1], lot="m-1o", **dose)
    early = await second.refused(DOSE, orderId=orders[1], lot="m-1", givenAt=at(yesterday), **dose)

    assert (typo["code"], typo["field"], typo["rule"]) == ("NOT_FOUND", "lot", "unknown-lot")
    assert "no lot 'm-1o'; record its receipt (or transfer in) first" in typo["message"]
    assert (early["code"], early["field"], early["rule"]) == ("NOT_FOUND", "lot", "unknown-lot")
    assert f"lot M-1 came in at site {site} at {yesterday} " in early["message"]
    assert f"after it was poured ({yesterday} " in early["message"]
    assert (await second.read(DOSING))["entries"] == []
    await second.nurse(DOSE, orderId=orders[1], lot="m-1", **dose)
