"""Through the API: the same transfer sent twice (the same DEA Form 222 and lot) is refused
the second time naming the form's number, and both sites' stock moved once. A receipt at the
receiving site of the lot a transfer brought in on the same form, or a transfer in of a lot
received there on the same form, is refused too: the lot would be counted in twice. A
transfer to a site that keeps no stock here (and that the program file does not register) is
refused naming toSite."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import mutation
from stock_steps import methadone_receipt

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
TRANSFER = mutation("TransferStockInput", "transferStock")
ON_HAND = """query($site: String!, $atLeast: Seq) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot transferredIn transferredOut onHand } } }"""


def receipt(site: str, number: str, quantity: str) -> dict[str, Any]:
    """Lot M-1 of methadone received at ``site`` on DEA 222 ``number``."""
    return methadone_receipt(site, quantity=quantity, orderFormNumber=number)


async def opened(api: Api, site: str) -> None:
    """``site`` keeps stock here (lot S-1), as a site a transfer goes to does."""
    given = methadone_receipt(site, lot="S-1", orderFormNumber="222-S")
    await api.ok(RECEIVE, {"i": given}, role=Role.NURSE)


def transfer(site: str, other: str, number: str) -> dict[str, Any]:
    """100 mg of lot M-1 sent from ``site`` to ``other`` on its DEA 222 ``number``."""
    return {"site": site, "toSite": other, "lot": "M-1", "quantity": "100",
            "orderForm": "DEA_222", "orderFormNumber": number}  # fmt: skip


async def moved(api: Api, at: int, sites: dict[str, tuple[str, str, str]]) -> None:
    """Each site's lot M-1 (transferred in, out, on hand) once the view has ``at``."""
    for name, expected in sites.items():
        data = await api.ok(ON_HAND, {"site": name, "atLeast": at}, role=Role.AUDITOR)
        [lot] = [lot for lot in data["stockOnHand"]["lots"] if lot["lot"] == "M-1"]
        assert (lot["transferredIn"], lot["transferredOut"], lot["onHand"]) == expected, name


def refused(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["field"], error["extensions"]["rule"], error["message"]


async def test_the_same_transfer_sent_twice_moves_the_stock_once(api: Api) -> None:
    site, other = (f"{name} OTP {uuid4().hex[:8]}" for name in ("North", "South"))
    await api.ok(RECEIVE, {"i": receipt(site, "222-1", "1000")}, role=Role.NURSE)
    await opened(api, other)
    sent = transfer(site, other, "222-T1")
    first = await api.ok(TRANSFER, {"i": sent}, role=Role.NURSE)

    again = await api.gql(TRANSFER, {"i": sent}, role=Role.NURSE)

    assert refused(again) == (
        "orderFormNumber", "transfer-recorded", "lot M-1 on dea_222 222-T1 is already transferred"
    )  # fmt: skip
    at = first["transferStock"]["position"]
    await moved(api, at, {site: ("0", "100", "900"), other: ("100", "0", "100")})


async def test_a_lot_comes_in_once_on_an_order_form_by_transfer_or_receipt(api: Api) -> None:
    site, other = (f"{name} OTP {uuid4().hex[:8]}" for name in ("North", "South"))
    await api.ok(RECEIVE, {"i": receipt(site, "222-1", "1000")}, role=Role.NURSE)
    await opened(api, other)
    await api.ok(TRANSFER, {"i": transfer(site, other, "222-T1")}, role=Role.NURSE)

    twice = await api.gql(RECEIVE, {"i": receipt(other, "222-T1", "100")}, role=Role.NURSE)
    assert refused(twice) == (
        "orderFormNumber", "order-form-recorded",
        f"lot M-1 on dea_222 222-T1 is already received by transfer at {other}",
    )  # fmt: skip

    received = await api.ok(RECEIVE, {"i": receipt(other, "222-T2", "50")}, role=Role.NURSE)
    sent = await api.gql(TRANSFER, {"i": transfer(site, other, "222-T2")}, role=Role.NURSE)
    assert refused(sent) == (
        "orderFormNumber", "order-form-recorded",
        f"lot M-1 on dea_222 222-T2 is already received at {other}",
    )  # fmt: skip
    at = received["receiveStock"]["position"]
    await moved(api, at, {site: ("0", "100", "900"), other: ("100", "0", "150")})


async def test_a_transfer_to_a_name_read_as_the_sending_sites_is_refused(api: Api) -> None:
    """Before, OTP with a Cyrillic or a fullwidth O, with two spaces or in small letters passed
    the rule that a transfer goes to another site: 100 mg of methadone left the books for a
    site every screen shows as the one it left."""
    site = f"OTP {uuid4().hex[:8]}"
    received = await api.ok(RECEIVE, {"i": receipt(site, "222-1", "1000")}, role=Role.NURSE)
    read_alike = [
        ("\u041e" + site[1:], "visible-name"),  # a Cyrillic O
        ("\uff2f" + site[1:], "visible-name"),  # a fullwidth O
        (site.replace(" ", "  "), "visible-name"),
        (site.lower(), "another-site"),
    ]
    head = await asyncio.to_thread(api.platform.store.last_position)

    for n, (name, rule) in enumerate(read_alike):
        sent = transfer(site, name, f"222-T{n}")
        body = await api.gql(TRANSFER, {"i": sent}, role=Role.NURSE)
        assert refused(body)[:2] == ("toSite", rule), ascii(name)

    assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing moved"
    at = received["receiveStock"]["position"]
    await moved(api, at, {site: ("0", "0", "1000")})


async def test_a_transfer_to_a_site_that_keeps_no_stock_here_is_refused(api: Api) -> None:
    """Before, a site typed wrong was sent the stock: it left the sending site's books for a
    site no one counts."""
    site = f"North OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": receipt(site, "222-1", "1000")}, role=Role.NURSE)
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(TRANSFER, {"i": transfer(site, f"Sout OTP {uuid4().hex[:8]}", "222-T1")},
                         role=Role.NURSE)  # fmt: skip

    [error] = body["errors"]
    assert (error["extensions"]["code"], *refused(body)[:2]) == (
        "RULE_VIOLATION", "toSite", "registered-site",
    )  # fmt: skip
    assert "is not a site of the program" in error["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head


@pytest.mark.parametrize("blank", ["", "   "])
async def test_a_transfer_to_no_site_is_refused_naming_to_site(api: Api, blank: str) -> None:
    """Before, a blank toSite was refused as the sending site's (field site): a client
    showing the error beside its field marked the one that was filled in."""
    site = f"North OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": receipt(site, "222-1", "1000")}, role=Role.NURSE)
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(TRANSFER, {"i": transfer(site, blank, "222-T1")}, role=Role.NURSE)

    assert refused(body)[:2] == ("toSite", "site-name")
    assert await asyncio.to_thread(api.platform.store.last_position) == head
