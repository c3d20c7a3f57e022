"""A transfer sent twice on the same order form: a receipt on a DEA Form 222 is recorded
once per form and lot, but a transfer out was not, so the same 222 submitted again moved
the lot's stock a second time. It is refused naming the form's number; a transfer that
names no form (an invoice, schedule III on) is not matched to another. Nor is a lot counted
in twice at the receiving site by a transfer in and a receipt on the same order form line
(its form, number and lot), whichever came first."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stock_story import Site

from carecoord.events import CareEvent
from carecoord.events.positioned import Positioned
from carecoord.events.stock import OrderForm, StockTransferredIn, StockTransferredOut
from carecoord.projections import stock
from carecoord.services.kernel.errors import RuleViolation


def test_a_second_transfer_of_the_lot_on_the_same_order_form_is_refused() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.transfer("M-100", "100", "South OTP", number="222-T1")

    with pytest.raises(RuleViolation) as refused:
        site.transfer("M-100", "100", "South OTP", number="222-T1")

    assert (refused.value.field, refused.value.rule) == ("orderFormNumber", "transfer-recorded")
    site.transfer("M-100", "100", "South OTP", number="222-T2")
    sent = [(e.order_form_number, e.quantity) for e in site.events(StockTransferredOut)]
    assert sent == [("222-T1", Decimal(100)), ("222-T2", Decimal(100))]


def test_transfers_naming_no_order_form_are_not_taken_for_one_another() -> None:
    site = Site()
    site.receive(
        "B-7", "80", medication="buprenorphine", dosage_form="sublingual tablet",
        order_form=OrderForm.INVOICE,
    )  # fmt: skip
    for _ in range(2):
        site.transfer("B-7", "8", "South OTP", number="")

    assert len(site.events(StockTransferredOut)) == 2


def test_a_receipt_of_a_lot_a_transfer_brought_in_on_the_same_order_form_is_refused() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.transfer("M-100", "100", "South OTP", number="222-T1")
    before = len(site.events())

    with pytest.raises(RuleViolation) as refused:
        site.receive("M-100", "100", site="South OTP", order_form_number="222-T1")

    assert (refused.value.field, refused.value.rule) == ("orderFormNumber", "order-form-recorded")
    assert refused.value.message == (
        "lot M-100 on dea_222 222-T1 is already received by transfer at South OTP"
    )
    assert len(site.events()) == before, "a refusal records nothing"
    site.receive("M-200", "100", site="South OTP", order_form_number="222-T1")  # its next line
    site.receive("M-100", "100", site="South OTP", order_form_number="222-T2")


def test_a_transfer_in_of_a_lot_received_on_the_same_order_form_is_refused() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.receive("M-100", "100", site="South OTP", order_form_number="222-T1")
    before = len(site.events())

    with pytest.raises(RuleViolation) as refused:
        site.transfer("M-100", "100", "South OTP", number="222-T1")

    assert (refused.value.field, refused.value.rule) == ("orderFormNumber", "order-form-recorded")
    assert refused.value.message == "lot M-100 on dea_222 222-T1 is already received at South OTP"
    assert len(site.events()) == before, "neither site's side is recorded"
    site.transfer("M-100", "100", "South OTP", number="222-T2")
    [arrived] = site.events(StockTransferredIn)
    assert (arrived.order_form, arrived.order_form_number) == (OrderForm.DEA_222, "222-T2")
    given = [Positioned(n, e) for n, e in enumerate(site.events(CareEvent), start=1)]
    moved = {r[13] for item in given for r in stock.rows(item) if r[2].startswith("transfer")}
    assert moved == {"to South OTP (dea_222 222-T2)", "from North OTP (dea_222 222-T2)"}
