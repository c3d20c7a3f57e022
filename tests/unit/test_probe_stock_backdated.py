"""A waste or transfer may be dated back (a paper record entered late), and was checked
only against what the lot held at that moment: 100 mg received, 50 wasted dated to the day
before 90 were dosed, left the lot at -40. What leaves a lot is now at most the least it
has held from that moment on, doses since included; a later receipt that refills the lot
counts from its own moment."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from stock_story import RULES, SITE, START, WITNESS, Site

from carecoord.events.stock import OrderForm, StockTransferredOut, StockWasted, WasteReason
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.stock import commands
from carecoord.services.stock.movements import Transfer, Waste
from carecoord.services.stock.record import Ledger

DAY = timedelta(days=1)


def dated_back(site: Site, at: datetime, since: list[tuple[datetime, str]]) -> Ledger:
    """The ledger the stock view reads for an entry dated ``at``: nothing dosed by then, and
    the doses ``since``."""
    return Ledger(site.position, at, {}, {"M-100": [(w, Decimal(n)) for w, n in since]})


def waste(site: Site, quantity: str, at: datetime, ledger: Ledger) -> None:
    given = Waste("M-100", Decimal(quantity), WasteReason.SPILL, "spilt", WITNESS.id, at)
    site.run(commands.waste(site.stamp(), site=SITE, waste=given, ledger=ledger, rules=RULES))


def test_an_entry_dated_back_leaves_at_most_what_the_lot_has_held_since() -> None:
    site = Site()
    site.receive("M-100", "100")
    site.later(days=3)
    then = START + DAY
    ledger = dated_back(site, then, [(START + 2 * DAY, "90")])

    with pytest.raises(RuleViolation) as refused:
        waste(site, "50", then, ledger)
    moved = Transfer("M-100", Decimal(50), "South OTP", OrderForm.DEA_222, "222-T1", then)
    with pytest.raises(RuleViolation) as too_much:
        site.run(
            commands.transfer(site.stamp(), site=SITE, transfer=moved, ledger=ledger, rules=RULES)
        )

    assert (refused.value.field, refused.value.rule) == ("quantity", "on-hand")
    assert "holds 10 mg" in str(refused.value)
    assert too_much.value.rule == "on-hand"
    waste(site, "10", then, ledger)
    assert [e.quantity for e in site.events(StockWasted)] == [Decimal(10)]
    assert site.events(StockTransferredOut) == []


def test_a_receipt_after_the_doses_does_not_cover_the_moments_before_it() -> None:
    site = Site()
    site.receive("M-100", "100")
    site.later(days=2, hours=12)
    site.receive("M-100", "500", order_form_number="222-M-100-b")
    site.later(days=1)
    then = START + DAY

    with pytest.raises(RuleViolation):
        waste(site, "50", then, dated_back(site, then, [(START + 2 * DAY, "90")]))

    waste(site, "50", then, dated_back(site, then, [(START + 3 * DAY, "90")]))
    assert len(site.events(StockWasted)) == 1
