"""Through the API: the same transfer sent twice (the same DEA Form 222 and lot) is refused
the second time naming the form's number, and both sites' stock moved once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
TRANSFER = mutation("TransferStockInput", "transferStock")
ON_HAND = """query($site: String!, $atLeast: Int) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot transferredIn transferredOut onHand } } }"""


async def test_the_same_transfer_sent_twice_moves_the_stock_once(api: Api) -> None:
    site, other = (f"{name} OTP {uuid4().hex[:8]}" for name in ("North", "South"))
    receipt = {
        "site": site, "lot": "M-1", "medication": "methadone", "dosageForm": "oral solution",
        "quantity": "1000", "containers": 1, "orderForm": "DEA_222", "orderFormNumber": "222-1",
        "supplier": "Mallinckrodt", "supplierDeaNumber": "RM1234563",
        "expiresOn": str(datetime.now(UTC).date() + timedelta(days=300)),
    }  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    sent: dict[str, Any] = {"site": site, "toSite": other, "lot": "M-1", "quantity": "100",
                            "orderForm": "DEA_222", "orderFormNumber": "222-T1"}  # fmt: skip
    first = await api.ok(TRANSFER, {"i": sent}, role=Role.NURSE)

    again = await api.gql(TRANSFER, {"i": sent}, role=Role.NURSE)

    [error] = again["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "orderFormNumber", "transfer-recorded",
    )  # fmt: skip
    assert error["message"] == "lot M-1 on dea_222 222-T1 is already transferred"
    at = first["transferStock"]["position"]
    for name, moved in ((site, ("0", "100", "900")), (other, ("100", "0", "100"))):
        data = await api.ok(ON_HAND, {"site": name, "atLeast": at}, role=Role.AUDITOR)
        [lot] = data["stockOnHand"]["lots"]
        assert (lot["transferredIn"], lot["transferredOut"], lot["onHand"]) == moved
