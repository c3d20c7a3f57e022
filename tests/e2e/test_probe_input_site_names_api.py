"""A program or a site is named with characters a reader sees. Before, ``OTP`` with a
zero-width space after it was taken as a new program and a new site that every screen shows
as OTP: a transfer of methadone from a site to its own name with U+200B added passed the
rule that a transfer goes to another site, and the stock left the books for a site that
reads as the one it left. Each is refused naming the field and rule and records nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import ON_HAND, mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
RECEIVE = mutation("ReceiveStockInput", "receiveStock")
TRANSFER = mutation("TransferStockInput", "transferStock")
HIDDEN = ["\u200b", "\u00a0", "\u2060", "\u3164"]
"""A zero-width space, a no-break space, a word joiner, a Hangul filler."""


async def refused(api: Api, query: str, given: dict[str, Any], role: Role) -> dict[str, Any]:
    body = await api.gql(query, {"i": given}, role=role, user="nurse-kim")
    [error] = body["errors"]
    return {"message": error["message"], **error["extensions"]}


async def test_a_name_holding_what_no_reader_sees_names_no_program_or_site(api: Api) -> None:
    site = f"Names {uuid4().hex[:8]}"
    receipt = methadone_receipt(site, orderFormNumber="F-1")
    received = await api.ok(RECEIVE, {"i": receipt}, role=Role.NURSE, user="nurse-kim")
    transfer = {"site": site, "lot": "M-1", "quantity": "100", "orderForm": "DEA_222"}
    head = await asyncio.to_thread(api.platform.store.last_position)

    answers = []
    for n, hidden in enumerate(HIDDEN):
        named = f"{site}{hidden}x" if hidden == "\u00a0" else f"{site}{hidden}"
        answers += [
            await refused(api, ENROLL, {"displayName": "Ro", "program": named}, Role.PRESCRIBER),
            await refused(api, RECEIVE, receipt | {"site": named, "orderFormNumber": "F-2"},
                          Role.NURSE),
            await refused(api, TRANSFER, transfer | {"toSite": named, "orderFormNumber": f"T-{n}"},
                          Role.NURSE),
        ]  # fmt: skip

    fields = [(a["code"], a["field"], a["rule"]) for a in answers]
    assert fields == [
        ("BAD_USER_INPUT", field, "visible-name") for field in ("program", "site", "toSite")
    ] * len(HIDDEN), answers
    assert all("which a reader does not see" in a["message"] for a in answers)
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    position = received["receiveStock"]["position"]
    stock = await api.ok(ON_HAND, {"site": site, "at": position}, role=Role.NURSE)
    assert stock["stockOnHand"]["lots"] == [{"lot": "M-1", "dispensed": "0"}]
    south = methadone_receipt(f"{site} South", lot="S-1", orderFormNumber="F-S")
    await api.ok(RECEIVE, {"i": south}, role=Role.NURSE, user="nurse-kim")
    moved = await api.ok(
        TRANSFER, {"i": transfer | {"toSite": f"{site} South", "orderFormNumber": "T-9"}},
        role=Role.NURSE, user="nurse-kim",
    )  # fmt: skip
    assert moved["transferStock"]["id"]


async def test_a_name_read_as_another_names_no_program_or_site(api: Api) -> None:
    """OTP with a Cyrillic or a fullwidth O, or with two spaces, reads as OTP: before, each
    was enrolled as a program and received as a site of its own, every screen showing it as
    OTP, so its clients' doses drew on stock OTP's count never saw. Each is refused naming the
    field (visible-name) and records nothing."""
    site = f"OTP {uuid4().hex[:8]}"
    receipt = methadone_receipt(site, orderFormNumber="F-1")
    head = await asyncio.to_thread(api.platform.store.last_position)

    answers = []
    for named in ("\u041e" + site[1:], "\uff2f" + site[1:], site.replace(" ", "  ")):
        answers += [
            await refused(api, ENROLL, {"displayName": "Ro", "program": named}, Role.PRESCRIBER),
            await refused(api, RECEIVE, receipt | {"site": named}, Role.NURSE),
        ]

    assert [(a["code"], a["field"], a["rule"]) for a in answers] == [
        ("BAD_USER_INPUT", field, "visible-name") for field in ("program", "site")
    ] * 3, answers
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await api.ok(ENROLL, {"i": {"displayName": "Ro", "program": site}}, role=Role.PRESCRIBER)
