"""Through the API: a short count taken by one prescriber and witnessed by another raises a
discrepancy that neither of them may resolve (refused naming alertId, nothing recorded);
a program admin who had no part in the count resolves it."""

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
COUNT = mutation("CountStockInput", "countStock")
RESOLVE = mutation("ResolveStockDiscrepancyInput", "resolveStockDiscrepancy")
DISCREPANCIES = """query($site: String!, $atLeast: Int) {
  stockDiscrepancies(site: $site, atLeast: $atLeast, openOnly: false) {
    alertId variance resolution resolvedBy } }"""


async def test_who_took_or_witnessed_a_count_does_not_resolve_its_discrepancy(api: Api) -> None:
    site = f"Duty OTP {uuid4().hex[:8]}"
    today = datetime.now(UTC).date()
    receipt = {
        "site": site, "lot": "M-1", "medication": "methadone", "dosageForm": "oral solution",
        "quantity": "1000", "containers": 1, "orderForm": "DEA_222", "orderFormNumber": "222-1",
        "supplier": "Mallinckrodt", "supplierDeaNumber": "RM1234563",
        "expiresOn": str(today + timedelta(days=300)),
    }  # fmt: skip
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    count = {"site": site, "occasion": "SPOT", "lines": [{"lot": "M-1", "counted": "990"}],
             "witnessId": "dr-kay"}  # fmt: skip
    counted = await api.ok(COUNT, {"i": count}, role=Role.PRESCRIBER, user="dr-lee")
    at = counted["countStock"]["position"]
    [found] = (await api.ok(DISCREPANCIES, {"site": site, "atLeast": at}, role=Role.AUDITOR))[
        "stockDiscrepancies"
    ]
    loss: dict[str, Any] = {
        "site": site, "alertId": found["alertId"], "resolution": "LOSS_REPORTED",
        "note": "DEA Form 106 filed",
    }  # fmt: skip

    for user in ("dr-lee", "dr-kay"):
        body = await api.gql(RESOLVE, {"i": loss}, role=Role.PRESCRIBER, user=user)
        [error] = body["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
            "alertId", "resolver-independent"
        )  # fmt: skip

    resolved = await api.ok(RESOLVE, {"i": loss}, role=Role.PROGRAM_ADMIN, user="admin-rae")
    at = resolved["resolveStockDiscrepancy"]["position"]
    [closed] = (await api.ok(DISCREPANCIES, {"site": site, "atLeast": at}, role=Role.AUDITOR))[
        "stockDiscrepancies"
    ]
    assert (closed["variance"], closed["resolution"], closed["resolvedBy"]) == (
        "-10", "loss_reported: DEA Form 106 filed", "admin-rae"
    )  # fmt: skip
