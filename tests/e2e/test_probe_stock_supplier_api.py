"""A receipt names its supplier with characters a reader sees, on one line: one of a
zero-width space or the blank braille pattern, or with a line break or a zero-width space
inside, is refused naming supplier (visible-name) and records nothing. Before, each was
received, and the DEA record read "1 containers from  (RM1234563)": from no one."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
HIDDEN = ["\u200b", "\u2800", "Mall\ninckrodt", "Mallinckrodt\u200b"]


async def test_a_supplier_no_reader_sees_is_refused(api: Api) -> None:
    site = f"Supply OTP {uuid4().hex[:8]}"
    receipt = methadone_receipt(site, supplier=None)
    head = await asyncio.to_thread(api.platform.store.last_position)

    for supplier in HIDDEN:
        body = await api.gql(RECEIVE, {"i": receipt | {"supplier": supplier}}, role=Role.NURSE)
        [error] = body["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
            "supplier", "visible-name"
        ), ascii(supplier)  # fmt: skip

    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await api.ok(RECEIVE, {"i": receipt | {"supplier": "Mallinckrodt"}}, role=Role.NURSE)
