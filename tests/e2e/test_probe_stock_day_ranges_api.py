"""An inspector who swapped fromDay and toDay is told so: the stock ledger, the counts, the
biennial inventory and the DEA dispensing log read for a range whose last day is before its
first are refused naming toDay (days-in-order). Before, each answered empty, read as days in
which the site received, dosed and counted nothing. One day (fromDay = toDay) is a range."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

READS = [
    """query($from: Date!, $to: Date!) {
      stockLedger(site: "OTP", fromDay: $from, toDay: $to) { csv } }""",
    """query($from: Date!, $to: Date!) {
      stockCounts(site: "OTP", fromDay: $from, toDay: $to) { countId } }""",
    """query($from: Date!, $to: Date!) {
      biennialInventory(site: "OTP", fromDay: $from, toDay: $to) { csv } }""",
    """query($from: Date!, $to: Date!) { dispensingLog(fromDay: $from, toDay: $to) { csv } }""",
]


@pytest.mark.parametrize("query", READS, ids=["ledger", "counts", "biennial", "dea-log"])
async def test_a_range_of_days_read_backwards_is_refused(api: Api, query: str) -> None:
    swapped = await api.gql(query, {"from": "2026-12-10", "to": "2026-12-01"}, role=Role.AUDITOR)

    [error] = swapped["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "toDay", "days-in-order"
    )  # fmt: skip
    await api.ok(query, {"from": "2026-12-01", "to": "2026-12-01"}, role=Role.AUDITOR)
