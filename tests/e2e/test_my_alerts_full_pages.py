"""A page of ``myAlerts`` holds ``first`` alerts the reader is shown while that many follow:
it read ``first`` alerts and left out those hidden from the reader (a QTc alert from a peer
supporter), so a page came short, even empty, with more to follow. Only the alerts shown are
access-logged; and a page's cursor holds the place of an alert shown, never of one hidden.
The rows are put in the views' tables directly, one alert per client, so each client's
reads say whether their alert was shown."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from test_access import ACCESS_LOG
from test_my_alerts_cost import table_of

from carecoord.events import Role
from carecoord.projections import alerts
from support import Api

PEER = "peer-full-pages"
PAGE = """query($first: Int, $after: String) { myAlerts(first: $first, after: $after) {
  alerts { clientId ruleId } pageInfo { hasNextPage endCursor } } }"""
SHOWN, HIDDEN = "phq9-item9", "qtc-methadone-prolonged"
"""A check-in's alert, which a peer supporter is shown, and one telling of the client's
methadone, which they are not."""


async def queue_of(api: Api, rules: list[str]) -> list[str]:
    """Clients on PEER's team, each with an open alert of the rule ``rules`` names in turn,
    raised in that order; the clients' ids, in it."""
    clients = [uuid.uuid4() for _ in rules]
    now = datetime.now(UTC)
    async with await AsyncConnection.connect(api.platform.database_url) as conn:
        team, queue = await table_of(conn, "care_team"), await table_of(conn, alerts.NAME)
        async with conn.cursor().copy(
            f"COPY {team} (position, client_id, member_id, role, started_at) FROM STDIN"
        ) as copy:
            for n, client_id in enumerate(clients):
                await copy.write_row(
                    (10**9 + n, client_id, PEER, "peer_supporter", now - timedelta(days=9))
                )
        columns = ", ".join(alerts.Alert.__annotations__)
        async with conn.cursor().copy(f"COPY {queue} ({columns}) FROM STDIN") as copy:
            for n, (client_id, rule) in enumerate(zip(clients, rules, strict=True)):
                at = 10**9 + n
                await copy.write_row(
                    (uuid.uuid4(), client_id, rule, "1", "high", rule, "detail", "assess",
                     json.dumps([]), None, "open", now - timedelta(hours=len(rules) - n), at,
                     at, "[]")
                )  # fmt: skip
        await conn.commit()
    return [str(c) for c in clients]


async def pages_of(api: Api, first: int) -> list[dict[str, Any]]:
    """PEER's queue, a page of ``first`` at a time, to the end."""
    pages, after = [], None
    while True:
        found = await api.ok(
            PAGE, {"first": first, "after": after}, role=Role.PEER_SUPPORTER, user=PEER
        )
        pages.append(found["myAlerts"])
        if not found["myAlerts"]["pageInfo"]["hasNextPage"]:
            return pages
        after = found["myAlerts"]["pageInfo"]["endCursor"]


async def reads_of(api: Api, client_id: str) -> list[int]:
    """The alerts each myAlerts read of the client by PEER returned."""
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="a-1")
    return [
        e["entriesReturned"]
        for e in data["accessLog"]
        if e["readerId"] == PEER and e["operation"] == "myAlerts"
    ]


async def test_a_page_holds_first_alerts_shown_while_more_follow(api: Api) -> None:
    rules = [SHOWN, HIDDEN, HIDDEN, SHOWN, HIDDEN, SHOWN, SHOWN, HIDDEN, HIDDEN]
    clients = await queue_of(api, rules)

    pages = await pages_of(api, 2)

    shown = [c for c, rule in zip(clients, rules, strict=True) if rule == SHOWN]
    assert [[a["clientId"] for a in p["alerts"]] for p in pages] == [shown[:2], shown[2:]]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    # Each alert shown logged once, by the page showing it (not by the one that looked
    # past its end to tell whether more follow); none hidden is logged.
    for client_id, rule in zip(clients, rules, strict=True):
        assert await reads_of(api, client_id) == ([1] if rule == SHOWN else [])


async def test_a_cursor_holds_an_alert_shown_and_no_page_follows_only_hidden_ones(
    api: Api,
) -> None:
    rules = [SHOWN, *[HIDDEN] * 12, SHOWN, HIDDEN, HIDDEN]
    clients = await queue_of(api, rules)

    pages = await pages_of(api, 1)

    # A page's end was the last alert it read, hidden ones included: its cursor (base64 of
    # JSON) told when an alert the reader is not shown was raised and its place in the log.
    assert [[a["clientId"] for a in p["alerts"]] for p in pages] == [[clients[0]], [clients[13]]]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    places = [json.loads(base64.urlsafe_b64decode(p["pageInfo"]["endCursor"]))[2] for p in pages]
    assert places == [str(10**9), str(10**9 + 13)]
    assert await reads_of(api, clients[0]) == [1]
    assert await reads_of(api, clients[13]) == [1]
