"""A lot is one lot in whatever letters it is named: ``lot-12`` typed at the window or on a
count sheet is the LOT-12 the site received, kept as first recorded. Before, names were
compared letter for letter: a second receipt, a dose, a count or a transfer naming lot-12
made it a lot of its own beside LOT-12, the one short and the other over at every count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from stock_story import SITE, Site

from carecoord.events.stock import (
    OrderForm,
    StockCounted,
    StockReceived,
    StockTransferredIn,
    StockWasted,
    stock_id,
)
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.stock.draws import poured_from
from carecoord.services.stock.record import SiteStock

MARCH = date(2026, 3, 2)


def test_receipts_waste_and_counts_name_the_lot_as_first_received() -> None:
    site = Site()
    site.receive("LOT-12", "1000")
    site.receive("lot-12", "500", order_form_number="222-second")
    site.waste("Lot-12", "10")
    site.dose("LOT-12", "90")
    site.count(("lot-12", "1400"))

    assert [e.lot for e in site.events(StockReceived)] == ["LOT-12", "LOT-12"]
    assert [e.lot for e in site.events(StockWasted)] == ["LOT-12"]
    [counted] = site.events(StockCounted)
    [line] = counted.lines
    assert (line.lot, line.expected, line.variance) == ("LOT-12", Decimal(1400), Decimal(0))
    stock = site.run(lambda uow: uow.get(SiteStock, stock_id(SITE)))
    assert list(stock.lots) == ["LOT-12"]


def test_a_count_naming_one_lot_twice_in_other_letters_is_refused() -> None:
    site = Site()
    site.receive("LOT-12")
    with pytest.raises(InvalidInput) as refused:
        site.count(("LOT-12", "10000"), ("lot-12", "0"))
    assert refused.value.rule == "lot-once"


def test_a_transfer_comes_in_under_the_name_the_receiving_site_holds_it_by() -> None:
    site = Site()
    site.receive("LOT-12")
    site.receive("Lot-12", site="South OTP", order_form_number="222-south")
    site.transfer("lot-12", "100", "South OTP")

    [came_in] = site.events(StockTransferredIn)
    assert came_in.lot == "Lot-12"


def test_a_dose_draws_on_the_lot_in_whatever_letters_and_its_rules_hold() -> None:
    site = Site()
    site.receive("LOT-12")
    site.receive(
        "B-7", "80", medication="buprenorphine", dosage_form="sublingual tablet",
        order_form=OrderForm.INVOICE,
    )  # fmt: skip
    stock = site.run(lambda uow: uow.get(SiteStock, stock_id(SITE)))

    named = poured_from(
        stock, "methadone", "oral solution", [("lot", "lot-12", MARCH), ("lot", "M-9", MARCH)]
    )

    assert named == {"lot-12": "LOT-12", "M-9": "M-9"}
    with pytest.raises(RuleViolation) as other:
        poured_from(stock, "methadone", "oral solution", [("lot", "b-7", MARCH)])
    assert other.value.rule == "lot-medication"
    with pytest.raises(RuleViolation) as expired:
        poured_from(stock, "methadone", "oral solution", [("lot", "lot-12", date(2027, 3, 2))])
    assert expired.value.rule == "not-expired"
