"""A client is not enrolled under the id a site's stock goes by (``stock_id(site)``), and a
site whose id a client was enrolled under keeps no stock. Before, an enrolment naming a
site's stock id as its clientId was accepted, and the site's receipts (and every count and
waste after) read as that client's: their timeline, read by their care team and by the
client themself, listed the site's methadone receipts."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from carecoord.events.stock import stock_id
from support import Api

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
RECEIVE = mutation("ReceiveStockInput", "receiveStock")


def receipt(site: str) -> dict[str, Any]:
    return methadone_receipt(site)


def refused(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    extensions = error["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


async def test_no_client_is_enrolled_under_a_sites_stock_id(api: Api) -> None:
    kept, unstocked = (f"Id OTP {uuid4().hex[:8]}" for _ in range(2))
    await api.ok(RECEIVE, {"i": receipt(kept)}, role=Role.NURSE)
    head = await asyncio.to_thread(api.platform.store.last_position)

    taken = await api.gql(
        ENROLL,
        {"i": {"displayName": "Al", "program": kept, "clientId": str(stock_id(kept))}},
        role=Role.PROGRAM_ADMIN,
    )

    assert refused(taken) == ("RULE_VIOLATION", "clientId", "site-stock-id")
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    early = {"displayName": "Bo", "program": unstocked, "clientId": str(stock_id(unstocked))}
    await api.ok(ENROLL, {"i": early}, role=Role.PROGRAM_ADMIN)
    stocked = await api.gql(RECEIVE, {"i": receipt(unstocked)}, role=Role.NURSE)
    assert refused(stocked) == ("RULE_VIOLATION", "site", "site-stock-id")
