"""A dose names the lot it was poured from. A lot the site holds of another medication or
form was refused nowhere: a methadone dose charted against the buprenorphine lot took its
mg out of that lot, which then came up short at the count and the methadone lot over. It
is refused naming the field; a lot the site has no receipt of yet is still drawn on (a
receipt entered late), as before. A lot the site holds is refused after its expiry date."""

from __future__ import annotations

from datetime import date

import pytest
from stock_story import SITE, Site

from carecoord.events.stock import OrderForm, stock_id
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.stock.draws import poured_from
from carecoord.services.stock.record import SiteStock

TODAY = date(2026, 3, 2)
EXPIRES = date(2027, 3, 1)
"""The expiry ``Site.receive`` gives a lot."""


def stocked() -> SiteStock:
    site = Site()
    site.receive("M-100")
    site.receive(
        "B-7", "80", medication="buprenorphine", dosage_form="sublingual tablet",
        order_form=OrderForm.INVOICE,
    )  # fmt: skip
    return site.run(lambda uow: uow.get(SiteStock, stock_id(SITE)))


@pytest.mark.parametrize(
    ("lot", "form", "held"),
    [
        ("B-7", "oral solution", "buprenorphine sublingual tablet"),
        ("M-100", "tablet", "methadone oral solution"),
    ],
)
def test_a_lot_held_of_another_medication_or_form_is_refused(
    lot: str, form: str, held: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        poured_from(stocked(), "methadone", form, [("bottles.1.lot", lot, TODAY)])

    assert (refused.value.field, refused.value.rule) == ("bottles.1.lot", "lot-medication")
    assert f"lot {lot} here is {held}, not methadone {form}" in str(refused.value)


def test_the_lot_of_the_medication_and_a_lot_not_yet_received_are_drawn_on() -> None:
    stock = stocked()

    poured_from(
        stock, "methadone", "oral solution", [("lot", "M-100", TODAY), ("lot", "M-200", TODAY)]
    )

    assert set(stock.lots) == {"M-100", "B-7"}, "nothing is recorded by the check"


def test_a_lot_past_its_expiry_on_the_day_drawn_is_refused() -> None:
    """Drawn on after its expiry date, a lot was given from as any other: the receipt alone
    was held to it. The expiry day itself is the last it is given from."""
    stock = stocked()
    poured_from(stock, "methadone", "oral solution", [("lot", "M-100", EXPIRES)])

    with pytest.raises(RuleViolation) as refused:
        poured_from(
            stock, "methadone", "oral solution", [("bottles.0.lot", "M-100", date(2027, 3, 2))]
        )

    assert (refused.value.field, refused.value.rule) == ("bottles.0.lot", "not-expired")
    assert "lot M-100 expired on 2027-03-01, before 2027-03-02" in refused.value.message
    assert "21 CFR 211.137(a)" in refused.value.message


def test_each_lot_is_judged_on_the_day_it_is_given_for() -> None:
    """A take-home handed over on its lot's expiry day held a bottle for the day after from
    it, judged on the day of the hand-over: each bottle is judged on its own day."""
    bottles = [("bottles.0.lot", "M-100", EXPIRES), ("bottles.1.lot", "m-100", date(2027, 3, 2))]

    with pytest.raises(RuleViolation) as refused:
        poured_from(stocked(), "methadone", "oral solution", bottles)

    assert (refused.value.field, refused.value.rule) == ("bottles.1.lot", "not-expired")
    assert "before 2027-03-02, the day it is given for" in refused.value.message
