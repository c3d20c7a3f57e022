"""A transfer goes to a site of the program: one that keeps stock here already, or one the
program file registers (``[medication] sites``). Before, any name was taken: a site typed
wrong (``Sout OTP``) was sent the stock, which left the books for a site no one counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from stock_story import Site

from carecoord.events.stock import StockTransferredIn, StockTransferredOut
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.runtime.program import load_program

EXAMPLE = Path(__file__).parents[2] / "docs" / "program.example.toml"


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
