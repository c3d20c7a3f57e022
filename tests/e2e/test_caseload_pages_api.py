"""A caseload is read a page at a time: ``first`` clients after the cursor ``after``, most in
need of attention first, and pageInfo saying whether more follow. A nurse on a program-wide
team of thousands got every client in one answer, each decided and access-logged; a page's
clients alone are now, and a ``first`` out of bounds is refused before anything is read or
logged."""

from __future__ import annotations

import base64
import json
from typing import Any

from carecoord.events import Role
from carecoord.graphql.caseload import MAX_CLIENTS
from support import Api, mutation

NURSE, OTHER = "nurse-pages", "nurse-one-page"
ENROLL = mutation("EnrollClientInput", "enrollClient")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
PAGE = """query($first: Int, $after: String, $at: Seq) {
  myCaseload(first: $first, after: $after, atLeast: $at) {
    clients { clientId displayName openAlerts } pageInfo { hasNextPage endCursor } } }"""
WHOLE = """query($at: Seq) { myCaseload(atLeast: $at) {
  clients { clientId } pageInfo { hasNextPage endCursor } } }"""
READS = """query($id: UUID!) { accessLog(clientId: $id) { readerId operation } }"""
PHQ9 = mutation("ScoreInstrumentInput", "scoreInstrument")
RESOLVE = mutation("AlertNoteInput", "resolveAlert")
ALERTS = """query($id: UUID!, $at: Seq) { clientAlerts(clientId: $id, atLeast: $at) { alertId } }"""
ITEM9 = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1}


async def enrolled(api: Api, names: list[str], *members: str) -> tuple[dict[str, str], int]:
    """Clients named ``names`` with ``members`` as nurses on their teams, and the position
    to read at."""
    ids, position = {}, 0
    for name in names:
        data = await api.ok(
            ENROLL, {"input": {"displayName": name, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
        )
        ids[name] = data["enrollClient"]["id"]
        for member in members:
            position = await api.join_care_team(ids[name], Role.NURSE, member)
    return ids, position


async def page(api: Api, user: str, at: int, **arguments: Any) -> dict[str, Any]:
    data = await api.ok(PAGE, {"at": at, **arguments}, role=Role.NURSE, user=user)
    found: dict[str, Any] = data["myCaseload"]
    return found


async def caseload_reads(api: Api, client_id: str) -> list[str]:
    log = await api.ok(READS, {"id": client_id}, role=Role.AUDITOR)
    return [e["readerId"] for e in log["accessLog"] if e["operation"] == "myCaseload"]


async def test_a_caseload_is_read_a_page_at_a_time_most_urgent_first(api: Api) -> None:
    ids, position = await enrolled(api, ["Eve", "Bo", "Dee", "Al", "Cy"], NURSE, OTHER)
    answers = [{"item": k, "value": v} for k, v in ITEM9.items()]
    scored = await api.ok(
        PHQ9,
        {"input": {"clientId": ids["Dee"], "instrument": "PHQ9", "answers": answers}},
        role=Role.CLIENT,
        user=ids["Dee"],
    )
    position = scored["scoreInstrument"]["position"]
    # Dee's alert first, then the rest alike in need by name.
    order = [ids[n] for n in ("Dee", "Al", "Bo", "Cy", "Eve")]

    whole = (await api.ok(WHOLE, {"at": position}, role=Role.NURSE, user=NURSE))["myCaseload"]
    assert [c["clientId"] for c in whole["clients"]] == order
    assert whole["pageInfo"]["hasNextPage"] is False

    seen, after, pages = [], None, []
    while True:
        found = await page(api, NURSE, position, first=2, after=after)
        seen += [c["clientId"] for c in found["clients"]]
        pages.append(len(found["clients"]))
        after = found["pageInfo"]["endCursor"]
        if not found["pageInfo"]["hasNextPage"]:
            break
    assert (seen, pages) == (order, [2, 2, 1])
    assert after is not None
    decoded = json.loads(base64.urlsafe_b64decode(after))
    # A place, an id and the next's (none after the last), nothing clinical.
    assert decoded == ["myCaseload", "4", ids["Eve"], ""]
    assert (await page(api, NURSE, position, first=2, after=after))["clients"] == []

    # One page read: its clients are decided and logged, the others not read at all.
    first = await page(api, OTHER, position, first=2)
    assert [c["clientId"] for c in first["clients"]] == order[:2]
    assert first["clients"][0]["openAlerts"] >= 1
    for client_id in order[:2]:
        assert OTHER in await caseload_reads(api, client_id)
    for client_id in order[2:]:
        assert OTHER not in await caseload_reads(api, client_id)

    # A client who leaves the caseload between pages: the next goes on at the place they held.
    removed = await api.ok(
        END,
        {"input": {"clientId": order[1], "memberId": OTHER, "reason": "moved to the day team"}},
        role=Role.PROGRAM_ADMIN,
    )
    at = removed["endCareTeamMembership"]["position"]
    rest = await page(api, OTHER, at, first=2, after=first["pageInfo"]["endCursor"])
    assert [c["clientId"] for c in rest["clients"]] == order[2:4]


async def test_a_hostile_first_is_refused_before_anything_is_read(api: Api) -> None:
    ids, position = await enrolled(api, ["Fay"], NURSE)
    for first in (0, -1, MAX_CLIENTS + 1, 10**9):
        body = await api.gql(PAGE, {"first": first, "at": position}, role=Role.NURSE, user=NURSE)
        [error] = body["errors"]
        assert body["data"] is None
        extensions = error["extensions"]
        assert (extensions["code"], extensions["field"], extensions["rule"]) == (
            "BAD_USER_INPUT", "first", "page-size"
        )  # fmt: skip
    # No Int of GraphQL's (32 bits, whole): refused as the request is read.
    hostile: tuple[object, ...] = (2**31, 2**70, 1.5, "ten", None, [1], {"n": 1})
    for wrong in hostile:
        body = await api.gql(PAGE, {"first": wrong, "at": position}, role=Role.NURSE, user=NURSE)
        assert body.get("data") is None, wrong
        [error] = body["errors"]
        assert "$first" in error["message"], error
    for after, rule in (
        ("not-a-cursor", "cursor"),
        (base64.urlsafe_b64encode(b'["myCaseload", "-1", "x"]').decode(), "cursor"),
        (base64.urlsafe_b64encode(f'["myCaseload", "1e9", "{ids["Fay"]}"]'.encode()).decode(),
         "cursor"),
        (base64.urlsafe_b64encode(b'["dispensingLog", "2026-01-01", "1", "1"]').decode(),
         "cursor-log"),
    ):  # fmt: skip
        body = await api.gql(
            PAGE, {"first": 1, "after": after, "at": position}, role=Role.NURSE, user=NURSE
        )
        [error] = body["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == ("after", rule)
    assert await caseload_reads(api, ids["Fay"]) == []


async def test_a_cursor_whose_client_moved_down_the_order_skips_no_one(api: Api) -> None:
    """The page's last client, first for an alert, has it resolved before the next page and
    goes to the end of the order: the next page went on after them there, empty, and the
    clients alike in need that no page had shown were never read."""
    nurse, doctor = "nurse-moved", "dr-moved"
    ids, _ = await enrolled(api, ["Al", "Bo", "Cy", "Zed"], nurse)
    await api.join_care_team(ids["Zed"], Role.PRESCRIBER, doctor)
    answers = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    scored = await api.ok(
        PHQ9,
        {"input": {"clientId": ids["Zed"], "instrument": "PHQ9", "answers": answers}},
        role=Role.CLIENT,
        user=ids["Zed"],
    )
    position = scored["scoreInstrument"]["position"]
    first = await page(api, nurse, position, first=1)
    assert [c["clientId"] for c in first["clients"]] == [ids["Zed"]]
    alerts = await api.ok(ALERTS, {"id": ids["Zed"], "at": position}, role=Role.NURSE, user=nurse)
    [alert] = alerts["clientAlerts"]
    resolved = await api.ok(
        RESOLVE,
        {"input": {"clientId": ids["Zed"], "alertId": alert["alertId"], "note": "seen today"}},
        role=Role.PRESCRIBER,
        user=doctor,
    )

    rest = await page(
        api, nurse, resolved["resolveAlert"]["position"], first=3,
        after=first["pageInfo"]["endCursor"],
    )  # fmt: skip

    assert [c["clientId"] for c in rest["clients"]] == [ids[n] for n in ("Al", "Bo", "Cy")]
    assert rest["pageInfo"]["hasNextPage"] is True  # Zed, moved behind them


async def test_a_client_moving_ahead_of_the_page_does_not_show_the_page_again(api: Api) -> None:
    """A client no page had shown gets an alert between pages and goes to the head of the
    order: the page's last client was a place further down, read as their having moved down,
    and the next page showed the last page's clients again."""
    nurse = "nurse-jumped"
    ids, position = await enrolled(api, ["Ann", "Ben", "Cal", "Dot", "Eli"], nurse)
    first = await page(api, nurse, position, first=2)
    assert [c["clientId"] for c in first["clients"]] == [ids["Ann"], ids["Ben"]]
    answers = [{"item": str(n), "value": 1} for n in range(1, 10)]
    scored = await api.ok(
        PHQ9,
        {"input": {"clientId": ids["Eli"], "instrument": "PHQ9", "answers": answers}},
        role=Role.CLIENT,
        user=ids["Eli"],
    )

    rest = await page(
        api, nurse, scored["scoreInstrument"]["position"], first=2,
        after=first["pageInfo"]["endCursor"],
    )  # fmt: skip

    assert [c["clientId"] for c in rest["clients"]] == [ids["Cal"], ids["Dot"]]
    assert rest["pageInfo"]["hasNextPage"] is False
