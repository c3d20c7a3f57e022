"""Through the API: a token that names a program keeps a nurse (not only a program admin) to
that program's controlled-substance stock. She records and reads her own site, sends a
transfer to another program's site, and is refused at any other site with nothing recorded;
a token that names no program still acts at every site."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
TRANSFER = mutation("TransferStockInput", "transferStock")
ON_HAND = """query($site: String!, $atLeast: Seq) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot onHand } } }"""


def receipt(site: str, lot: str) -> dict[str, Any]:
    return methadone_receipt(site, lot=lot, orderFormNumber=f"222-{lot}")


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"]["field"], error["extensions"]["rule"]


async def test_a_nurse_whose_token_names_a_program_keeps_to_its_stock(api: Api) -> None:
    north, south = (f"{name} OTP {uuid4().hex[:8]}" for name in ("North", "South"))
    settings = api.platform.settings
    northern = issue_token(settings, "nurse-north", Role.NURSE, program=north)
    anywhere = issue_token(settings, "nurse-float", Role.NURSE)
    own = await api.ok(RECEIVE, {"i": receipt(north, "N-1")}, token=northern)
    at = own["receiveStock"]["position"]

    elsewhere = await api.gql(RECEIVE, {"i": receipt(south, "S-1")}, token=northern)
    peeked = await api.gql(ON_HAND, {"site": south, "atLeast": at}, token=northern)

    assert refusal(elsewhere) == ("FORBIDDEN", "site", "site-program")
    assert refusal(peeked) == ("FORBIDDEN", "site", "site-program")
    south_stock = await api.ok(ON_HAND, {"site": south, "atLeast": at}, role=Role.AUDITOR)
    assert south_stock["stockOnHand"]["lots"] == [], "the refused receipt recorded nothing"
    await api.ok(RECEIVE, {"i": receipt(south, "S-1")}, token=anywhere)  # south keeps stock
    sent = {"site": north, "toSite": south, "lot": "N-1", "quantity": "100",
            "orderForm": "DEA_222", "orderFormNumber": "222-T1"}  # fmt: skip
    moved = await api.ok(TRANSFER, {"i": sent}, token=northern)
    at = moved["transferStock"]["position"]
    mine = await api.ok(ON_HAND, {"site": north, "atLeast": at}, token=northern)
    assert mine["stockOnHand"]["lots"] == [{"lot": "N-1", "onHand": "900"}]
    south_stock = await api.ok(ON_HAND, {"site": south, "atLeast": at}, token=anywhere)
    assert south_stock["stockOnHand"]["lots"] == [
        {"lot": "N-1", "onHand": "100"},
        {"lot": "S-1", "onHand": "1000"},
    ]
    back = {**sent, "site": south, "toSite": north, "orderFormNumber": "222-T2"}
    assert refusal(await api.gql(TRANSFER, {"i": back}, token=northern)) == (
        "FORBIDDEN", "site", "site-program",
    )  # fmt: skip
