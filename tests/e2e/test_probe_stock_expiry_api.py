"""Through the API: a receipt whose expiry is a century on (a year mistyped) is refused
naming ``expiresOn``, and the site holds nothing of it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
ON_HAND = "query($site: String!) { stockOnHand(site: $site) { lots { lot } } }"


async def test_a_receipt_expiring_a_century_on_is_refused(api: Api) -> None:
    site = f"Harbor OTP {uuid4().hex[:8]}"
    year = datetime.now(UTC).year + 100
    receipt = methadone_receipt(site, quantity="100", expiresOn=f"{year}-03-01")

    body = await api.gql(RECEIVE, {"i": receipt}, role=Role.NURSE)

    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "expiresOn", "shelf-life",
    )  # fmt: skip
    assert f"expires on {year}-03-01: at most ten years after" in error["message"]
    stock = await api.ok(ON_HAND, {"site": site}, role=Role.NURSE)
    assert stock["stockOnHand"]["lots"] == []
