"""A transfer goes to a site of the program: one that keeps stock here already, one the
program file registers (``[medication] sites``) or one a program admin registered, and not
one retired. Before, any name was taken: a site typed wrong (``Sout OTP``) was sent the
stock, which left the books for a site no one counts; and a site came in through the
program file alone, so one opened or closed waited for a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from stock_story import RULES, Site

from carecoord.events import Actor, CareEvent, Role
from carecoord.events.stock import (
    DispensingSiteRegistered,
    DispensingSiteRetired,
    StockTransferredIn,
    StockTransferredOut,
    name_key,
    stock_id,
)
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.runtime.program import load_program
from carecoord.services.stock.commands import register_site, retire_site

EXAMPLE = Path(__file__).parents[2] / "docs" / "program.example.toml"
ADMIN = Actor(id="admin-1", role=Role.PROGRAM_ADMIN)


def register(site: Site, name: str, taken: tuple[str, ...] = ()) -> None:
    command = register_site(site.stamp(ADMIN), site=name, rules=RULES, taken=taken)
    assert site.run(command) == stock_id(name)


def retire(site: Site, name: str) -> None:
    assert site.run(retire_site(site.stamp(ADMIN), site=name, rules=RULES)) == stock_id(name)


def test_a_transfer_to_a_site_neither_keeping_stock_nor_registered_is_refused() -> None:
    site = Site()
    site.receive("M-100")

    with pytest.raises(RuleViolation) as refused:
        site.transfer("M-100", "100", "Sout OTP")

    assert (refused.value.field, refused.value.rule) == ("toSite", "registered-site")
    assert "site 'Sout OTP' is not a site of the program" in refused.value.message
    assert "21 CFR 1307.11(a)(1)" in refused.value.message
    assert site.events(StockTransferredOut) == []


def test_a_site_keeping_stock_here_or_registered_is_sent_it() -> None:
    """East OTP received stock of its own; South OTP is registered and keeps none yet."""
    site = Site()
    site.receive("M-100")
    site.receive("E-1", site="East OTP", order_form_number="222-east")

    site.transfer("M-100", "100", "East OTP", number="222-T1")
    site.transfer("M-100", "100", "South OTP", number="222-T2")

    assert [e.site for e in site.events(StockTransferredIn)] == ["East OTP", "South OTP"]


def test_the_program_file_registers_its_sites() -> None:
    rules = load_program(EXAMPLE).medication.rules(Settings())
    assert rules.sites == {"North OTP", "North OTP Medication Unit"}
    assert load_program(None).medication.rules(Settings()).sites == frozenset()


def test_a_site_a_program_admin_registered_is_sent_stock_until_retired() -> None:
    site = Site()
    site.receive("M-100")
    register(site, "West Unit")

    site.transfer("M-100", "100", "West Unit", number="222-T1")
    retire(site, "West Unit")
    with pytest.raises(RuleViolation) as refused:
        site.transfer("M-100", "100", "West Unit", number="222-T2")

    assert (refused.value.field, refused.value.rule) == ("toSite", "site-retired")
    assert [e.site for e in site.events(StockTransferredIn)] == ["West Unit"]
    west: list[CareEvent] = site.events(CareEvent)
    assert [type(e) for e in west if e.client_id == stock_id("West Unit")] == [
        DispensingSiteRegistered, StockTransferredIn, DispensingSiteRetired,
    ]  # fmt: skip


def test_a_site_the_program_file_registers_is_retired_and_registered_once() -> None:
    """South OTP is in the program file: it is a site of the program already, and once
    retired it is sent nothing, the file notwithstanding, and not registered again."""
    site = Site()
    site.receive("M-100")
    with pytest.raises(RuleViolation) as registered:
        register(site, "South OTP")
    retire(site, "South OTP")

    with pytest.raises(RuleViolation) as refused:
        site.transfer("M-100", "100", "South OTP")
    with pytest.raises(RuleViolation) as again:
        register(site, "South OTP")

    assert registered.value.rule == "site-registered"
    assert (refused.value.field, refused.value.rule) == ("toSite", "site-retired")
    assert (again.value.field, again.value.rule) == ("site", "site-retired")


def test_a_name_an_active_site_reads_as_but_for_case_or_spacing_is_refused() -> None:
    """``north unit`` beside North Unit: two sites every screen shows as one. Once North
    Unit is retired, its name reads as no active site's."""
    site = Site()
    with pytest.raises(RuleViolation) as refused:
        register(site, "north unit", taken=(name_key("North  Unit"),))
    register(site, "north unit", taken=(name_key("South OTP"),))

    assert (refused.value.field, refused.value.rule) == ("site", "site-name-unique")
    assert "letter case or spacing" in str(refused.value)


def test_a_name_held_by_a_registration_the_registry_has_not_read_yet_is_refused() -> None:
    """Two admins at once: the second decides on the registry as it read it before the
    first was projected (nothing taken), and on the name's record, which the first wrote
    (its write conflicting, decided again). Retired, the site lets the name go."""
    site = Site()
    register(site, "North Unit")
    with pytest.raises(RuleViolation) as refused:
        register(site, "NORTH UNIT")
    retire(site, "North Unit")
    register(site, "north unit")

    assert (refused.value.field, refused.value.rule) == ("site", "site-name-unique")
