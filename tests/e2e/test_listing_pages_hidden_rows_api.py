"""A program-wide log read a page at a time by a reader who may have only some of its rows (a
nurse on some clients' care teams, an auditor whose token names one program) is made of
those rows alone. The pages were cut from every client's rows and the reader's dropped
after: a page came back short or empty, said more followed when only others' rows did, and
its cursor (base64 of JSON) held the day and place of another client's dose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import Clinic, at

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api

PAGED = "pageInfo { hasNextPage endCursor }"


def query(field: str, shown: str) -> str:
    return f"""query($from: Date!, $to: Date!, $first: Int, $after: String, $at: Seq) {{
      {field}(fromDay: $from, toDay: $to, first: $first, after: $after, atLeast: $at) {{
        {shown} {PAGED} }} }}"""


LOGS = {
    "dispensingLog": (query("dispensingLog", "rows { clientId }"), "rows"),
    "inventoryLedger": (query("inventoryLedger", "lots { entries { clientId } }"), "lots"),
    "medicationSafetyLog": (query("medicationSafetyLog", "rows { clientId }"), "rows"),
}


def clients(log: str, found: dict[str, Any]) -> list[str]:
    if LOGS[log][1] == "lots":
        return [e["clientId"] for lot in found["lots"] for e in lot["entries"]]
    return [r["clientId"] for r in found["rows"]]


PART_NURSE = "nurse-part"
SHOWN, HIDDEN = "North", "South"


async def pages(api: Api, log: str, variables: dict[str, Any], **who: Any) -> list[Any]:
    """Every page of one row of ``log``, read as ``who``: (clients, hasNextPage, endCursor)."""
    found: list[Any] = []
    after = None
    while True:
        data = await api.ok(LOGS[log][0], {**variables, "first": 1, "after": after}, **who)
        page = data[log]
        info = page["pageInfo"]
        found.append((clients(log, page), info["hasNextPage"], info["endCursor"]))
        if not info["hasNextPage"]:
            return found
        after = info["endCursor"]


@pytest.mark.parametrize("log", LOGS)
@pytest.mark.parametrize("reader", ["nurse on some teams", "auditor of one program"])
async def test_a_page_is_made_of_the_rows_its_reader_may_have(
    api: Api, log: str, reader: str
) -> None:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(80, 75, -1)]
    shown: list[str] = []
    position = 0
    for n, day in enumerate(days):  # one shown, one hidden, one shown, two hidden
        visible = n in (0, 2)
        clinic = await Clinic.enroll(api, f"Listed {n}.", SHOWN if visible else HIDDEN)
        if visible:
            shown.append(clinic.client_id)
            await api.join_care_team(clinic.client_id, Role.NURSE, PART_NURSE)
        order = await clinic.methadone("60", day, occurredAt=at(day, 8))  # an override
        await clinic.dose(order["id"], day, "60")
        position = clinic.position
    variables = {"from": str(days[0]), "to": str(today), "at": position}
    who: dict[str, Any] = {"role": Role.NURSE, "user": PART_NURSE}
    if reader == "auditor of one program":
        who = {
            "token": issue_token(api.platform.settings, "auditor-n", Role.AUDITOR, program=SHOWN)
        }

    everyone = await pages(api, log, variables, role=Role.AUDITOR)
    hidden_places = {cursor for rows, _, cursor in everyone if rows[0] not in shown}
    assert (len(everyone), len(hidden_places)) == (5, 3)

    read = await pages(api, log, variables, **who)
    assert [rows for rows, _, _ in read] == [[c] for c in shown]  # every page full
    assert [more for _, more, _ in read] == [True, False]  # none of theirs follows
    assert not {cursor for _, _, cursor in read} & hidden_places
    assert {cursor for rows, _, cursor in everyone if rows[0] in shown} == {
        cursor for _, _, cursor in read
    }
