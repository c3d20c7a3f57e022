"""Through the API: a short count taken by one prescriber and witnessed by another raises a
discrepancy that neither of them may resolve (refused naming alertId, nothing recorded);
nor may anyone under an id read as theirs (Dr-Kay, DR-LEE, dr-1ee); a program admin who had
no part in the count resolves it. A count or a waste whose witness is the one recording it
under an id read as theirs is refused too."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
COUNT = mutation("CountStockInput", "countStock")
RESOLVE = mutation("ResolveStockDiscrepancyInput", "resolveStockDiscrepancy")
WASTE = mutation("WasteStockInput", "wasteStock")
DISCREPANCIES = """query($site: String!, $atLeast: Seq) {
  stockDiscrepancies(site: $site, atLeast: $atLeast, openOnly: false) {
    alertId variance resolution resolvedBy } }"""


async def test_who_took_or_witnessed_a_count_does_not_resolve_its_discrepancy(api: Api) -> None:
    site = f"Duty OTP {uuid4().hex[:8]}"
    receipt = methadone_receipt(site)
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

    for user in ("dr-lee", "dr-kay", "Dr-Kay", "DR-LEE", "dr-1ee"):
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


async def test_a_witness_read_as_the_one_recording_is_refused(api: Api) -> None:
    """Before, nurse-kim counting or wasting before Nurse-Kim, NURSE-KIM or nurse-kirn was
    accepted: the ledger showed one person as both the one who recorded and the witness."""
    site = f"Duty OTP {uuid4().hex[:8]}"
    receipt = methadone_receipt(site, expiresOn=None)
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    count = {"site": site, "occasion": "SPOT", "lines": [{"lot": "M-1", "counted": "1000"}]}
    waste = {"site": site, "lot": "M-1", "quantity": "5", "reason": "SPILL",
             "description": "cup knocked over"}  # fmt: skip
    head = await asyncio.to_thread(api.platform.store.last_position)

    for witness in ("Nurse-Kim", "NURSE-KIM", "nurse-kirn"):
        for query, given in ((COUNT, count), (WASTE, waste)):
            body = await api.gql(query, {"i": given | {"witnessId": witness}}, role=Role.NURSE,
                                 user="nurse-kim")  # fmt: skip
            [error] = body["errors"]
            assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
                "witnessId", "witness-distinct"
            ), witness  # fmt: skip

    assert await asyncio.to_thread(api.platform.store.last_position) == head
