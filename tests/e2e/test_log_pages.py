"""The logs of a range of days (the DEA dispensing log, the lot ledger, a site's stock ledger,
the medication safety log) are read a page at a time: `first` rows after the cursor `after`,
and pageInfo saying whether more follow. A pass of pages repeats no row and misses none that
was there when it began, while doses are recorded between its pages, on days before its
cursor and after. Without `first` the range comes whole, as before, up to the most one read
answers, and past that is refused naming `first`: a year of a busy program came back in one
response."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from medication_steps import PRESCRIBE, Clinic, at

from carecoord.events import Role
from carecoord.graphql import log_pages
from support import Api

Row = tuple[str, str]
PAGED = "pageInfo { hasNextPage endCursor }"


def query(field: str, arguments: str, shown: str) -> str:
    return f"""query($from: Date!, $to: Date!, $first: Int, $after: String, $at: Seq) {{
      {field}({arguments} fromDay: $from, toDay: $to, first: $first, after: $after,
        atLeast: $at) {{ {shown} csv {PAGED} }} }}"""


def rows_of(field: str, *keys: str) -> Callable[[dict[str, Any]], list[Row]]:
    def rows(log: dict[str, Any]) -> list[Row]:
        return [(r[keys[0]], r[keys[1]]) for r in log[field]]

    return rows


def entries(log: dict[str, Any]) -> list[Row]:
    return [(e["clientId"], e["day"]) for lot in log["lots"] for e in lot["entries"]]


LOGS: dict[str, tuple[str, Callable[[dict[str, Any]], list[Row]]]] = {
    "dispensingLog": (
        query("dispensingLog", "", "rows { clientId dispensedOn }"),
        rows_of("rows", "clientId", "dispensedOn"),
    ),
    "inventoryLedger": (
        query("inventoryLedger", "", "lots { entries { clientId day } }"),
        entries,
    ),
    "stockLedger": (
        query("stockLedger", 'site: "OTP",', "rows { refId kind }"),
        rows_of("rows", "refId", "kind"),
    ),
    "medicationSafetyLog": (
        query("medicationSafetyLog", "", "rows { refId clientId }"),
        rows_of("rows", "refId", "clientId"),
    ),
}
DOSED = ["dispensingLog", "inventoryLedger", "stockLedger"]


async def dosed(api: Api, name: str, days: list[date], dose: str = "30") -> Clinic:
    """A client prescribed methadone at ``dose`` mg (the initial-dose cap acknowledged,
    an override, above 50) and given it on each of ``days`` from lot LOT-A."""
    clinic = await Clinic.enroll(api, name)
    order = await clinic.methadone(dose, days[0], occurredAt=at(days[0], 8))
    for day in days:
        await clinic.dose(order["id"], day, dose)
    return clinic


async def read(api: Api, log: str, days: dict[str, Any], **more: Any) -> dict[str, Any]:
    data = await api.ok(LOGS[log][0], {**days, **more}, role=Role.AUDITOR)
    found: dict[str, Any] = data[log]
    return found


@pytest.mark.parametrize("log", DOSED)
async def test_pages_chain_without_gaps_or_repeats_while_doses_are_recorded(
    api: Api, log: str
) -> None:
    rows = LOGS[log][1]
    today = datetime.now(UTC).date()
    week = [today - timedelta(days=n) for n in range(7, 0, -1)]
    first = await dosed(api, "Paged A.", week)
    second = await dosed(api, "Paged B.", week[::2])
    days = {"from": str(week[0]), "to": str(today)}
    before = rows(await read(api, log, days, at=max(first.position, second.position)))
    assert len(before) == 11

    late = await Clinic.enroll(api, "Recorded meanwhile C.")
    order = await late.doctor(
        PRESCRIBE, medication="methadone", dose="30", unit="mg", route="oral",
        start=str(week[0]), occurredAt=at(week[0], 8),
    )  # fmt: skip
    paged: list[Row] = []
    pages = 0
    after = None
    while True:
        page = await read(api, log, days, first=3, after=after, at=late.position)
        paged += rows(page)
        pages += 1
        assert page["csv"].count("\n") == len(rows(page)) + 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        if pages <= 3:  # a dose on a day the pass has read, one on a day it has still to
            await late.dose(order["id"], week[pages - 1], "30")
            await late.dose(order["id"], week[-pages], "30")

    everything = rows(await read(api, log, days, at=late.position))
    assert len(paged) == len(set(paged))
    assert set(before) <= set(paged)
    assert [row for row in everything if row in paged] == paged
    assert len(paged) > len(before)  # rows recorded on days still to read are in the pass
    assert pages >= 4


@pytest.mark.parametrize("log", LOGS)
async def test_a_range_past_the_most_rows_is_refused_without_first(
    api: Api, monkeypatch: pytest.MonkeyPatch, log: str
) -> None:
    today = datetime.now(UTC).date()
    position = 0
    for n in (3, 2, 1):
        clinic = await dosed(api, f"Bounded {n}.", [today - timedelta(days=n)], dose="60")
        position = clinic.position
    days = {"from": str(today - timedelta(days=3)), "to": str(today), "at": position}
    assert len(LOGS[log][1](await read(api, log, days))) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    whole = await api.gql(LOGS[log][0], days, role=Role.AUDITOR)
    [error] = whole["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "first", "rule": "rows-at-most"
    }  # fmt: skip
    assert "more than 2 rows" in error["message"]
    for first in (0, 3):
        too_big = await api.gql(LOGS[log][0], {**days, "first": first}, role=Role.AUDITOR)
        assert too_big["errors"][0]["extensions"]["rule"] == "page-size"

    page = await read(api, log, days, first=2)
    rest = await read(api, log, days, first=2, after=page["pageInfo"]["endCursor"])
    assert [len(LOGS[log][1](page)), len(LOGS[log][1](rest))] == [2, 1]
    assert (page["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


async def test_a_cursor_the_api_did_not_make_or_of_another_log_is_refused(api: Api) -> None:
    today = datetime.now(UTC).date()
    clinic = await dosed(api, "Cursor E.", [today - timedelta(days=2), today - timedelta(days=1)])
    days = {"from": str(today - timedelta(days=2)), "to": str(today), "at": clinic.position}
    stock = await read(api, "stockLedger", days, first=1)
    another_log = stock["pageInfo"]["endCursor"]

    for cursor, rule in [("not-a-cursor", "cursor"), (another_log, "cursor-log")]:
        refused = await api.gql(
            LOGS["dispensingLog"][0], {**days, "first": 1, "after": cursor}, role=Role.AUDITOR
        )
        [error] = refused["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == ("after", rule)


def forged(log: str, *values: Any) -> str:
    """A cursor of ``log`` holding ``values`` as they are, which the API never writes."""
    return base64.urlsafe_b64encode(json.dumps([log, *values]).encode()).decode()


FIRST_COLUMN = {
    "dispensingLog": ("2026-12-01",),
    "inventoryLedger": ("LOT-A",),
    "stockLedger": (),
    "medicationSafetyLog": ("2026-12-01T00:00:00+00:00",),
}
"""A value each log's cursor holds before its entry's place (position and seq)."""
OUT_OF_RANGE = [
    (str(2**63), "1"),  # past a bigint position
    ("1", str(2**31)),  # past an integer seq
    ("1", str(-(2**31) - 1)),
    (1, 1),  # numbers, where the API writes text
    ([1], {"seq": 1}),
]


@pytest.mark.parametrize("log", LOGS)
async def test_a_cursor_holding_what_the_log_cannot_hold_is_refused(api: Api, log: str) -> None:
    """Before, a cursor of the right log with a position past a bigint, a seq past an
    integer, a NUL in the lot or a list for a value was sent to PostgreSQL as it was, and
    failed the read as an internal error."""
    days = {"from": "2026-12-01", "to": "2026-12-01", "first": 1}
    head = FIRST_COLUMN[log]
    cursors = [forged(log, *head, *place) for place in OUT_OF_RANGE]
    if head:
        cursors.append(forged(log, head[0] + "\x00", "1", "1"))

    for cursor in cursors:
        refused = await api.gql(LOGS[log][0], {**days, "after": cursor}, role=Role.AUDITOR)
        [error] = refused["errors"]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT", "field": "after", "rule": "cursor"
        }, cursor  # fmt: skip


async def test_a_program_export_cursor_holding_no_client_id_text_is_refused(api: Api) -> None:
    """Before, a list, an object or true for the client id failed the export as an internal
    error."""
    query = """query($after: String) { exportProgramRecord(program: "OTP", first: 1,
      after: $after) { clients } }"""

    for held in ([1], {"id": 1}, True):
        cursor = forged("exportProgramRecord", held)
        refused = await api.gql(query, {"after": cursor}, role=Role.AUDITOR)
        [error] = refused["errors"]
        assert error["extensions"]["rule"] == "cursor", held
