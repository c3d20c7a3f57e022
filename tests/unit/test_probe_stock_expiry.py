"""A receipt's expiry was bounded only by the calendar (up to 2200): a lot received today
as expiring in 2127 (a typo for 2027) was accepted, and a count or an inspector would read
it as good for a century. An expiry more than ten years after the receipt is refused naming
the field; ten years on is still taken."""

from __future__ import annotations

from datetime import date

import pytest
from stock_story import START, Site

from carecoord.events.stock import StockReceived
from carecoord.services.kernel.errors import InvalidInput


def test_an_expiry_more_than_ten_years_after_the_receipt_is_refused() -> None:
    site = Site()

    with pytest.raises(InvalidInput) as refused:
        site.receive("M-100", expires_on=date(2127, 3, 1))

    assert (refused.value.field, refused.value.rule) == ("expiresOn", "shelf-life")
    assert site.events(StockReceived) == []
    site.receive("M-100", expires_on=date(START.year + 10, 3, 1))
    assert [e.expires_on for e in site.events(StockReceived)] == [date(2036, 3, 1)]
