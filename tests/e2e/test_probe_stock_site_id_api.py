"""A client is not enrolled under the id a site's stock goes by (``stock_id(site)``), and a
site whose id a client was enrolled under keeps no stock. Before, an enrolment naming a
site's stock id as its clientId was accepted, and the site's receipts (and every count and
waste after) read as that client's: their timeline, read by their care team and by the
client themself, listed the site's methadone receipts. Through the API a clientId is an
upstream system's, which the client's id is drawn from (``services/care/upstream.py``)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Actor, Role
from carecoord.events.stock import stock_id
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from support import Api

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
RECEIVE = mutation("ReceiveStockInput", "receiveStock")


def receipt(site: str) -> dict[str, Any]:
    return methadone_receipt(site)


def enrolled_as(site: str, name: str) -> Command[UUID]:
    """An enrolment under ``site``'s stock id as the client's own id (the API's clientId
    is an upstream system's)."""
    admin = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
    return enroll_client(admin, display_name=name, program=site, client_id=stock_id(site))


def refused(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    extensions = error["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


async def test_no_client_is_enrolled_under_a_sites_stock_id(api: Api) -> None:
    kept, unstocked = (f"Id OTP {uuid4().hex[:8]}" for _ in range(2))
    await api.ok(RECEIVE, {"i": receipt(kept)}, role=Role.NURSE)
    head = await asyncio.to_thread(api.platform.store.last_position)

    with pytest.raises(RuleViolation) as taken:
        await api.platform.bus.execute(enrolled_as(kept, "Al"))
    upstream = {"displayName": "Al", "program": kept, "clientId": str(stock_id(kept))}
    drawn = await api.ok(ENROLL, {"i": upstream}, role=Role.PROGRAM_ADMIN)

    assert (taken.value.field, taken.value.rule) == ("clientId", "site-stock-id")
    assert await asyncio.to_thread(api.platform.store.last_position) == head + 1
    assert drawn["enrollClient"]["id"] != str(stock_id(kept))
    await api.platform.bus.execute(enrolled_as(unstocked, "Bo"))
    stocked = await api.gql(RECEIVE, {"i": receipt(unstocked)}, role=Role.NURSE)
    assert refused(stocked) == ("RULE_VIOLATION", "site", "site-stock-id")
