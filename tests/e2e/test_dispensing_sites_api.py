"""Through the API: a program admin registers a dispensing site and retires it while the
platform serves. A transfer goes to the site once it is registered, before it keeps any
stock, and is refused naming toSite once it is retired (rule site-retired), nothing leaving
the books; a site the program file registers is still sent stock. A site is registered once
(its id is the id its stock goes by), under a name a reader sees and of bounded length, by a
program admin only; a site is retired once, and stays on the record."""

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

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
TRANSFER = mutation("TransferStockInput", "transferStock")
REGISTER = mutation("RegisterDispensingSiteInput", "registerDispensingSite")
RETIRE = mutation("RetireDispensingSiteInput", "retireDispensingSite")
ON_HAND = """query($site: String!, $atLeast: Seq) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot onHand } } }"""


def sent(site: str, to_site: str, number: str) -> dict[str, Any]:
    """100 mg of lot M-1 sent from ``site`` to ``to_site`` on DEA 222 ``number``."""
    return {"site": site, "toSite": to_site, "lot": "M-1", "quantity": "100",
            "orderForm": "DEA_222", "orderFormNumber": number}  # fmt: skip


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"]["field"], error["extensions"]["rule"]


async def head(api: Api) -> int:
    return await asyncio.to_thread(api.platform.store.last_position)


async def test_a_site_registered_is_sent_stock_until_it_is_retired(api: Api) -> None:
    """Before, a site reached the registry only through the program file: a medication unit
    opened or closed waited for a restart."""
    site, unit = f"North OTP {uuid4().hex[:8]}", f"North Unit {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site)}, role=Role.NURSE)
    unknown = await api.gql(TRANSFER, {"i": sent(site, unit, "222-T1")}, role=Role.NURSE)
    assert refusal(unknown) == ("RULE_VIOLATION", "toSite", "registered-site")

    registered = await api.ok(REGISTER, {"i": {"site": f" {unit} "}}, role=Role.PROGRAM_ADMIN)
    assert registered["registerDispensingSite"]["id"] == str(stock_id(unit))
    moved = await api.ok(TRANSFER, {"i": sent(site, unit, "222-T1")}, role=Role.NURSE)
    at = moved["transferStock"]["position"]
    held = await api.ok(ON_HAND, {"site": unit, "atLeast": at}, role=Role.AUDITOR)
    assert held["stockOnHand"]["lots"] == [{"lot": "M-1", "onHand": "100"}]

    retired = await api.ok(RETIRE, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    assert retired["retireDispensingSite"]["id"] == str(stock_id(unit))
    before = await head(api)
    body = await api.gql(TRANSFER, {"i": sent(site, unit, "222-T2")}, role=Role.NURSE)

    assert refusal(body) == ("RULE_VIOLATION", "toSite", "site-retired")
    assert f"site {unit!r} was retired" in body["errors"][0]["message"]
    assert await head(api) == before, "nothing left the books"
    again = await api.gql(RETIRE, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    assert refusal(again) == ("RULE_VIOLATION", "site", "site-retired")
    back = await api.gql(REGISTER, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    assert refusal(back) == ("RULE_VIOLATION", "site", "site-retired")


async def test_a_site_is_registered_once_by_a_program_admin_under_a_name_read_one_way(
    api: Api,
) -> None:
    unit = f"South Unit {uuid4().hex[:8]}"
    before = await head(api)

    nurse = await api.gql(REGISTER, {"i": {"site": unit}}, role=Role.NURSE)
    hidden = await api.gql(REGISTER, {"i": {"site": f"{unit}\u200b"}}, role=Role.PROGRAM_ADMIN)
    long = await api.gql(REGISTER, {"i": {"site": "U" * 101}}, role=Role.PROGRAM_ADMIN)
    blank = await api.gql(REGISTER, {"i": {"site": "  "}}, role=Role.PROGRAM_ADMIN)
    unretired = await api.gql(RETIRE, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)

    assert refusal(nurse) == ("FORBIDDEN", "role", "role-may-record")
    assert refusal(hidden) == ("BAD_USER_INPUT", "site", "visible-name")
    assert refusal(long) == ("BAD_USER_INPUT", "site", "site-name-length")
    assert refusal(blank) == ("BAD_USER_INPUT", "site", "site-name")
    assert refusal(unretired) == ("NOT_FOUND", "site", "registered-site")
    assert await head(api) == before, "nothing was recorded"
    await api.ok(REGISTER, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    twice = await api.gql(REGISTER, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    assert refusal(twice) == ("RULE_VIOLATION", "site", "site-registered")


async def test_a_site_that_keeps_stock_is_registered_already(api: Api) -> None:
    """A site that received stock is a site of the program: registering it again is
    refused, and it may be retired."""
    site = f"East OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site)}, role=Role.NURSE)

    twice = await api.gql(REGISTER, {"i": {"site": site}}, role=Role.PROGRAM_ADMIN)

    assert refusal(twice) == ("RULE_VIOLATION", "site", "site-registered")
    await api.ok(RETIRE, {"i": {"site": site}}, role=Role.PROGRAM_ADMIN)


SITES = """query($atLeast: Seq) { dispensingSites(atLeast: $atLeast) {
  id name source registeredAt registeredBy retiredAt retiredBy } }"""


async def test_the_sites_are_listed_and_one_named_as_another_but_for_case_is_refused(
    api: Api,
) -> None:
    """Before, no query listed the registered sites, and ``north unit`` was registered
    beside ``North Unit``: two sites every screen showed as one."""
    unit = f"North Unit {uuid4().hex[:8]}"
    done = await api.ok(REGISTER, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    before = await head(api)
    twin = await api.gql(REGISTER, {"i": {"site": unit.upper()}}, role=Role.PROGRAM_ADMIN)
    assert refusal(twin) == ("RULE_VIOLATION", "site", "site-name-unique")
    assert await head(api) == before, "nothing was recorded"

    at = done["registerDispensingSite"]["position"]
    listed = await api.ok(SITES, {"atLeast": at}, role=Role.NURSE)
    [site] = [s for s in listed["dispensingSites"] if s["name"] == unit]
    assert site["id"] == str(stock_id(unit))
    assert site["source"] == "REGISTERED"
    assert site["registeredAt"]
    assert site["registeredBy"]
    assert site["retiredAt"] is None
    assert [s for s in listed["dispensingSites"] if s["name"] == unit.upper()] == []

    retired = await api.ok(RETIRE, {"i": {"site": unit}}, role=Role.PROGRAM_ADMIN)
    again = await api.ok(REGISTER, {"i": {"site": unit.lower()}}, role=Role.PROGRAM_ADMIN)
    at = max(
        retired["retireDispensingSite"]["position"], again["registerDispensingSite"]["position"]
    )
    listed = await api.ok(SITES, {"atLeast": at}, role=Role.PROGRAM_ADMIN)
    names = {s["name"]: s for s in listed["dispensingSites"]}
    assert names[unit]["retiredAt"]
    assert names[unit]["retiredBy"]
    assert names[unit.lower()]["retiredAt"] is None
    refused = await api.gql(SITES, {}, role=Role.AUDITOR)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_two_admins_registering_names_that_read_alike_at_once_register_one(
    api: Api,
) -> None:
    """Each decided before the other was projected: the name's own record, which both
    write, lets the first through and refuses the second."""
    unit = f"East Unit {uuid4().hex[:8]}"
    bodies = await asyncio.gather(
        *(
            api.gql(REGISTER, {"i": {"site": name}}, role=Role.PROGRAM_ADMIN)
            for name in (unit, unit.upper(), unit.lower())
        )
    )

    refused = [refusal(body) for body in bodies if body.get("errors")]
    assert refused == [("RULE_VIOLATION", "site", "site-name-unique")] * 2
