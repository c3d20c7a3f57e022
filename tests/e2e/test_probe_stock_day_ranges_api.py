"""An inspector who swapped fromDay and toDay is told so: the stock ledger, the counts, the
biennial inventory and the DEA dispensing log read for a range whose last day is before its
first are refused naming toDay (days-in-order). Before, each answered empty, read as days in
which the site received, dosed and counted nothing. One day (fromDay = toDay) is a range.

The logs that answer a range whole answer at most 366 days of it: a range of years is
refused naming toDay and the bound (days-at-most), before anything is read or logged. A
site's counts and biennial inventory are such logs too: a range of years came back whole."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform


BOUNDED = {
    "dea-log": """query($from: Date!, $to: Date!) {
      dispensingLog(fromDay: $from, toDay: $to) { csv } }""",
    "safety-log": """query($from: Date!, $to: Date!) {
      medicationSafetyLog(fromDay: $from, toDay: $to) { csv } }""",
    "lot-ledger": """query($from: Date!, $to: Date!) {
      inventoryLedger(fromDay: $from, toDay: $to) { csv } }""",
    "stock-ledger": """query($from: Date!, $to: Date!) {
      stockLedger(site: "OTP", fromDay: $from, toDay: $to) { csv } }""",
    "stock-counts": """query($from: Date!, $to: Date!) {
      stockCounts(site: "OTP", fromDay: $from, toDay: $to) { countId } }""",
    "biennial": """query($from: Date!, $to: Date!) {
      biennialInventory(site: "OTP", fromDay: $from, toDay: $to) { csv } }""",
}
READS = [BOUNDED[n] for n in ("stock-ledger", "stock-counts", "biennial", "dea-log")]


@pytest.mark.parametrize("query", READS, ids=["ledger", "counts", "biennial", "dea-log"])
async def test_a_range_of_days_read_backwards_is_refused(api: Api, query: str) -> None:
    swapped = await api.gql(query, {"from": "2026-12-10", "to": "2026-12-01"}, role=Role.AUDITOR)

    [error] = swapped["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "toDay", "days-in-order"
    )  # fmt: skip
    await api.ok(query, {"from": "2026-12-01", "to": "2026-12-01"}, role=Role.AUDITOR)


@pytest.mark.parametrize("query", BOUNDED.values(), ids=BOUNDED.keys())
async def test_a_range_of_more_than_366_days_is_refused_naming_the_bound(
    api: Api, query: str
) -> None:
    years = await api.gql(query, {"from": "2024-01-01", "to": "2026-12-31"}, role=Role.AUDITOR)

    [error] = years["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "toDay", "rule": "days-at-most"
    }  # fmt: skip
    assert "at most 366" in error["message"]
    assert "toDay 2024-12-31 at the latest" in error["message"]
    await api.ok(query, {"from": "2024-01-01", "to": "2024-12-31"}, role=Role.AUDITOR)


async def test_the_lot_ledger_answers_the_366_days_ending_today_by_default(api: Api) -> None:
    today = datetime.now(api.platform.medication.zone).date()
    days = {"from": str(today - timedelta(days=365)), "to": str(today)}
    whole = await api.ok("{ inventoryLedger { csv } }", role=Role.AUDITOR)
    year = await api.ok(BOUNDED["lot-ledger"], days, role=Role.AUDITOR)

    assert whole == year


@pytest.mark.parametrize("to_day", ["0001-01-01", "0001-12-31"])
async def test_the_lot_ledger_to_a_day_in_year_1_answers_from_the_calendars_first_day(
    api: Api, to_day: str
) -> None:
    """The default fromDay, 365 days before toDay, fell before year 1 and failed the read
    as an internal error."""
    early = await api.ok(
        "query($to: Date!) { inventoryLedger(toDay: $to) { lots { lot } } }",
        {"to": to_day},
        role=Role.AUDITOR,
    )

    assert early == {"inventoryLedger": {"lots": []}}
