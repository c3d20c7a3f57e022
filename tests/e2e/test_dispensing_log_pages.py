"""The DEA dispensing log is read a page at a time: `first` lines after the cursor `after`,
and pageInfo saying whether more follow. A pass of pages repeats no line and misses none
that was there when it began, while doses are recorded between its pages, on days before
its cursor and after. Without `first` the range comes whole, as before, up to the most
one read answers, and past that is refused naming `first`: a year of a busy program came
back in one response."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from medication_steps import PRESCRIBE, Clinic, at

from carecoord.events import Role
from carecoord.graphql import log_pages
from support import Api

PAGE = """query($from: Date!, $to: Date!, $first: Int, $after: String, $at: Int) {
  dispensingLog(fromDay: $from, toDay: $to, first: $first, after: $after, atLeast: $at) {
    rows { clientId dispensedOn } csv pageInfo { hasNextPage endCursor } } }"""
Line = tuple[str, str]


async def dosed(api: Api, name: str, days: list[date]) -> Clinic:
    """A client given 30 mg of methadone on each of ``days``."""
    clinic = await Clinic.enroll(api, name)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="30", unit="mg", route="oral",
        start=str(days[0]), occurredAt=at(days[0], 8),
    )  # fmt: skip
    for day in days:
        await clinic.dose(order["id"], day, "30")
    return clinic


async def read(api: Api, days: dict[str, Any], **more: Any) -> dict[str, Any]:
    data = await api.ok(PAGE, {**days, **more}, role=Role.AUDITOR)
    found: dict[str, Any] = data["dispensingLog"]
    return found


def lines(log: dict[str, Any]) -> list[Line]:
    return [(r["clientId"], r["dispensedOn"]) for r in log["rows"]]


async def test_pages_chain_without_gaps_or_repeats_while_doses_are_recorded(api: Api) -> None:
    today = datetime.now(UTC).date()
    week = [today - timedelta(days=n) for n in range(7, 0, -1)]
    first = await dosed(api, "Paged A.", week)
    second = await dosed(api, "Paged B.", week[::2])
    days = {"from": str(week[0]), "to": str(today)}
    before = await read(api, days, at=max(first.position, second.position))
    assert len(lines(before)) == 11
    assert before["pageInfo"]["hasNextPage"] is False

    late = await Clinic.enroll(api, "Recorded meanwhile C.")
    order = await late.doctor(
        PRESCRIBE, medication="methadone", dose="30", unit="mg", route="oral",
        start=str(week[0]), occurredAt=at(week[0], 8),
    )  # fmt: skip
    paged: list[Line] = []
    pages = 0
    after = None
    while True:
        page = await read(api, days, first=3, after=after, at=late.position)
        paged += lines(page)
        pages += 1
        assert page["csv"].count("\n") == len(page["rows"]) + 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        if pages <= 3:  # a dose on a day the pass has read, one on a day it has still to
            await late.dose(order["id"], week[pages - 1], "30")
            await late.dose(order["id"], week[-pages], "30")

    assert len(paged) == len(set(paged))
    assert set(lines(before)) <= set(paged)
    meanwhile = [line for line in paged if line not in lines(before)]
    assert meanwhile == [(late.client_id, str(week[-2])), (late.client_id, str(week[-1]))]
    assert pages == 5
    everything = await read(api, days, at=late.position)
    assert [line for line in lines(everything) if line in paged] == paged


async def test_a_range_past_the_most_rows_is_refused_without_first(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = datetime.now(UTC).date()
    clinic = await dosed(api, "Bounded D.", [today - timedelta(days=n) for n in (3, 2, 1)])
    days = {"from": str(today - timedelta(days=3)), "to": str(today), "at": clinic.position}
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    whole = await api.gql(PAGE, days, role=Role.AUDITOR)
    [error] = whole["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "first", "rule": "rows-at-most"
    }  # fmt: skip
    assert "more than 2 rows" in error["message"]
    for first in (0, 3):
        too_big = await api.gql(PAGE, {**days, "first": first}, role=Role.AUDITOR)
        assert too_big["errors"][0]["extensions"]["rule"] == "page-size"

    page = await read(api, days, first=2)
    rest = await read(api, days, first=2, after=page["pageInfo"]["endCursor"])
    assert [len(page["rows"]), len(rest["rows"])] == [2, 1]
    assert (page["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


async def test_a_cursor_the_api_did_not_make_is_refused(api: Api) -> None:
    days = {"from": "2026-12-01", "to": "2026-12-02", "first": 5}
    another_log = base64.urlsafe_b64encode(b"stockLedger|2026-12-01|1|0").decode()
    for cursor, rule in [("not-a-cursor", "cursor"), (another_log, "cursor-log")]:
        refused = await api.gql(PAGE, {**days, "after": cursor}, role=Role.AUDITOR)
        [error] = refused["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == ("after", rule)
