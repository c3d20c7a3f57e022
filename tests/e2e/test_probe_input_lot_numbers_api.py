"""A dose or a take-home bottle names its lot as a receipt does. Before, a dose charted from
``M-1 `` (a trailing space), ``M-1`` with a zero-width space after it or a lot of spaces was
recorded: the site's stock then held one more lot that reads as M-1, short by the dose, while
M-1 kept the dose's mg on hand and came up over at the count. Each is refused naming the
field and the rule and records nothing; ``M-1`` itself is drawn on."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import uuid4

import pytest
from medication_steps import DOSE, ON_HAND, TAKE_HOME, Clinic, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
NOT_LOT_NUMBERS = ["M-1 ", " M-1", "M-1\u200b", "M\u00a01", "\u200b", "   ", "M-1\n"]


async def test_a_lot_no_receipt_could_name_is_refused_and_draws_nothing(
    api: Api, today: date
) -> None:
    site = f"Lot names {uuid4().hex[:8]}"
    clinic = await Clinic.enroll(api, "Lu N.", program=site)
    receipt = methadone_receipt(site, orderFormNumber="F-1")
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    order = await clinic.methadone("60", today)
    dose = {"orderId": order["id"], "amount": "60", "dosageForm": "oral solution"}
    bottles = [{"bottle": "TH-1", "lot": "M-1"}, {"bottle": "TH-2", "lot": "M-1\u200b"}]
    take_home = {"orderId": order["id"], "firstDay": str(today + timedelta(days=1)), "days": 2}
    head = await asyncio.to_thread(api.platform.store.last_position)

    refusals = [await clinic.refused(DOSE, **dose, lot=lot) for lot in NOT_LOT_NUMBERS]
    bottle = await clinic.refused(
        TAKE_HOME, **take_home, dosageForm="oral solution", bottles=bottles
    )

    for lot, refused in zip(NOT_LOT_NUMBERS, refusals, strict=True):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "BAD_USER_INPUT", "lot", "lot-number",
        ), lot  # fmt: skip
        assert "no spaces or invisible characters" in refused["message"]
    assert (bottle["field"], bottle["rule"]) == ("bottles.1.lot", "lot-number")
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await clinic.nurse(DOSE, **dose, lot="M-1")
    stock = await api.ok(ON_HAND, {"site": site, "at": clinic.position}, role=Role.NURSE)
    held = {lot["lot"]: lot["dispensed"] for lot in stock["stockOnHand"]["lots"]}
    assert held == {"M-1": "60"}
