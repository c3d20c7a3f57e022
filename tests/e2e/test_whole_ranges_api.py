"""A client's dosing and a site's discrepancies answer a range of days whole, held to the
paged logs' bounds: at most 366 days and 5000 rows, refused past either naming the argument
and the rule. Without fromDay or toDay the range runs to the rows' own first or last day, so
a short history reads whole as before; a long one is refused, not cut short, and read as
ranges one after another, which chain without a gap or a repeat. The open discrepancies read
whole whenever raised (a working list), held to the rows' bound only. Bounds are lowered
here (a year of rows is too slow to record): the code reads them as it answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import Clinic, at, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from carecoord.graphql import day_ranges, log_pages
from support import Api

pytestmark = pytest.mark.shared_platform

DOSING = """query($id: UUID!, $atLeast: Seq, $from: Date, $to: Date) {
  clientDosing(clientId: $id, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    given entries { day status doseId } } }"""
ACCESS_LOG = """query($id: UUID!) { accessLog(clientId: $id, first: 500) {
  outcome entriesReturned } }"""
RECEIVE = mutation("ReceiveStockInput", "receiveStock")
COUNT = mutation("CountStockInput", "countStock")
WITNESS = mutation("WitnessStockEntryInput", "witnessStockEntry")
RESOLVE = mutation("ResolveStockDiscrepancyInput", "resolveStockDiscrepancy")
DISCREPANCIES = """query($site: String!, $atLeast: Seq, $open: Boolean!, $from: Date,
  $to: Date) { stockDiscrepancies(site: $site, atLeast: $atLeast, openOnly: $open,
  fromDay: $from, toDay: $to) { alertId day } }"""
COUNTS = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!, $first: Int,
  $after: String) { stockCounts(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to,
  first: $first, after: $after) { day lines { cursor } } }"""
BIENNIAL = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!, $first: Int,
  $after: String) { biennialInventory(site: $site, atLeast: $atLeast, fromDay: $from,
  toDay: $to, first: $first, after: $after) { csv pageInfo { hasNextPage endCursor } } }"""

Read = Callable[..., Awaitable[dict[str, Any]]]
"""One read of the field from the day ``first`` to ``last`` (either left out): its body, data
or errors."""


def days_of(first: date | None, last: date | None) -> dict[str, str]:
    return {k: str(d) for k, d in (("from", first), ("to", last)) if d is not None}


def refusal(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["field"], error["extensions"]["rule"]


async def chained(read: Read, field: str, key: str, ranges: list[tuple[date, date]]) -> list[Any]:
    """The rows of ``ranges`` read one after another, each the day after the last."""
    for (_, last), (first, _) in pairwise(ranges):
        assert first == last + timedelta(days=1)
    rows: list[Any] = []
    for first, last in ranges:
        body = await read(first, last)
        assert not body.get("errors"), body["errors"]
        rows += [r[key] for r in rows_of(body["data"][field])]
    assert len(rows) == len(set(rows))
    return rows


def rows_of(found: Any) -> list[dict[str, Any]]:
    return found["entries"] if isinstance(found, dict) else list(found)


async def bounds_hold(
    read: Read, field: str, key: str, days: list[date], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three rows, one on each of ``days`` (consecutive), read whole, then under bounds of two
    days and of two rows."""
    whole = await read()
    everything = [r[key] for r in rows_of(whole["data"][field])]
    assert len(everything) == 3
    ranges = [(days[0], days[1]), (days[2], days[2] + timedelta(days=1))]

    monkeypatch.setattr(day_ranges, "MAX_DAYS", 2)
    assert refusal(await read()) == ("fromDay", "days-at-most")
    assert refusal(await read(days[0])) == ("toDay", "days-at-most")
    assert refusal(await read(None, days[2])) == ("fromDay", "days-at-most")
    given = await read(days[0], days[2])
    assert refusal(given) == ("toDay", "days-at-most")
    assert "at most 2" in given["errors"][0]["message"]
    assert await chained(read, field, key, ranges) == everything
    monkeypatch.setattr(day_ranges, "MAX_DAYS", 366)

    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)
    many = await read()
    assert refusal(many) == ("toDay", "rows-at-most")
    assert "more than 2 rows" in many["errors"][0]["message"]
    assert await chained(read, field, key, ranges) == everything


async def test_a_clients_dosing_is_refused_past_the_bounds_and_read_as_ranges(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    clinic = await Clinic.enroll(api, "Ranged D.")
    order = await clinic.methadone("30", days[0], occurredAt=at(days[0], 8))
    await clinic.doses(order["id"], days[0], 3, "30")

    async def read(first: date | None = None, last: date | None = None) -> dict[str, Any]:
        variables = {"id": clinic.client_id, "atLeast": clinic.position, **days_of(first, last)}
        return await api.gql(DOSING, variables, role=Role.PRESCRIBER, user="dr-lee")

    whole = (await read())["data"]["clientDosing"]
    assert (whole["given"], [e["day"] for e in whole["entries"]]) == (3, [str(d) for d in days])
    await bounds_hold(read, "clientDosing", "doseId", days, monkeypatch)

    logged = await api.ok(ACCESS_LOG, {"id": clinic.client_id}, role=Role.AUDITOR)
    reads = [(e["outcome"], e["entriesReturned"]) for e in logged["accessLog"]]
    # whole twice; 3 refused once the rows were looked at, each logged as returning none (a
    # range given at both ends is refused before the record is asked for); 2 ranges; 1
    # refused; 2 ranges
    assert reads == [("GRANTED", 3), ("GRANTED", 3), *[("GRANTED", 0)] * 3, ("GRANTED", 2),
                     ("GRANTED", 1), ("GRANTED", 0), ("GRANTED", 2), ("GRANTED", 1)]  # fmt: skip


async def test_a_sites_discrepancies_are_refused_past_the_bounds_and_read_as_ranges(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = f"Ranged OTP {uuid4().hex[:8]}"
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    receipt = methadone_receipt(site, receivedAt=at(today - timedelta(days=4)))
    await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE)
    position = 0
    for day in days:  # each short by 10 mg of the 1000 received; the first biennial
        count = {"site": site, "occasion": "CLOSING", "witnessId": "nurse-ola",
                 "lines": [{"lot": "M-1", "counted": "990"}], "countedAt": at(day, 20),
                 "biennial": day == days[0]}  # fmt: skip
        counted = await api.ok(COUNT, {"i": count}, role=Role.NURSE, user="nurse-kim")
        witnessed = {"site": site, "entryId": counted["countStock"]["id"]}
        done = await api.ok(WITNESS, {"i": witnessed}, role=Role.NURSE, user="nurse-ola")
        position = done["witnessStockEntry"]["position"]

    async def read(
        first: date | None = None, last: date | None = None, open_only: bool = False
    ) -> dict[str, Any]:
        variables = {"site": site, "atLeast": position, "open": open_only}
        variables |= days_of(first, last)
        return await api.gql(DISCREPANCIES, variables, role=Role.PROGRAM_ADMIN)

    raised = (await read())["data"]["stockDiscrepancies"]
    assert [d["day"] for d in raised] == [str(d) for d in days]
    resolve = {"site": site, "alertId": raised[1]["alertId"], "resolution": "EXPLAINED",
               "note": "recounted"}  # fmt: skip
    resolved = await api.ok(RESOLVE, {"i": resolve}, role=Role.PRESCRIBER, user="dr-lee")
    position = resolved["resolveStockDiscrepancy"]["position"]

    monkeypatch.setattr(day_ranges, "MAX_DAYS", 2)
    still_open = (await read(open_only=True))["data"]["stockDiscrepancies"]
    assert [d["day"] for d in still_open] == [str(days[0]), str(days[2])]
    monkeypatch.setattr(day_ranges, "MAX_DAYS", 366)
    await bounds_hold(read, "stockDiscrepancies", "alertId", days, monkeypatch)

    monkeypatch.setattr(log_pages, "MAX_ROWS", 1)
    assert refusal(await read(open_only=True)) == ("toDay", "rows-at-most")

    async def counts(query: str, last: date, **page: Any) -> dict[str, Any]:
        variables = {"site": site, "atLeast": position, "from": str(days[0]), "to": str(last)}
        return await api.gql(query, variables | page, role=Role.PROGRAM_ADMIN)

    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)  # the lots counted, one a count here
    assert refusal(await counts(COUNTS, days[2])) == ("first", "rows-at-most")
    found = (await counts(COUNTS, days[1]))["data"]["stockCounts"]
    assert [c["day"] for c in found] == [str(days[0]), str(days[1])]
    page = (await counts(COUNTS, days[2], first=2))["data"]["stockCounts"]
    cursor = page[-1]["lines"][-1]["cursor"]
    rest = (await counts(COUNTS, days[2], first=2, after=cursor))["data"]["stockCounts"]
    assert [c["day"] for c in page + rest] == [str(d) for d in days]
    monkeypatch.setattr(log_pages, "MAX_ROWS", 0)
    assert refusal(await counts(BIENNIAL, days[2])) == ("first", "rows-at-most")


SERIES = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  checkInSeries(clientId: $id, atLeast: $atLeast, occurredFrom: $from, occurredTo: $to) {
    eventId occurredAt } }"""
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")


async def test_a_clients_series_past_the_most_points_is_refused_and_read_as_periods(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now - timedelta(days=n) for n in (3, 2, 1)]
    clinic = await Clinic.enroll(api, "Series S.")
    for moment in times:
        await clinic.nurse(CHECK_IN, craving=20, occurredAt=moment.isoformat())

    async def read(first: datetime | None = None, last: datetime | None = None) -> Any:
        period = {k: t.isoformat() for k, t in (("from", first), ("to", last)) if t}
        variables = {"id": clinic.client_id, "atLeast": clinic.position, **period}
        return await api.gql(SERIES, variables, role=Role.NURSE, user="nurse-kim")

    everything = [p["eventId"] for p in (await read())["data"]["checkInSeries"]]
    assert len(everything) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    many = await read()
    assert refusal(many) == ("occurredTo", "rows-at-most")
    assert "more than 2 rows" in many["errors"][0]["message"]
    periods = [(times[0], times[2]), (times[2], None)]  # the second from where the first ends
    paged: list[str] = []
    for first, last in periods:
        found = await read(first, last)
        paged += [p["eventId"] for p in found["data"]["checkInSeries"]]
    assert paged == everything
