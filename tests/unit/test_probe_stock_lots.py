"""A dose names the lot it was poured from. A lot the site holds of another medication or
form was refused nowhere: a methadone dose charted against the buprenorphine lot took its
mg out of that lot, which then came up short at the count and the methadone lot over. It
is refused naming the field; a lot the site has no receipt of yet is still drawn on (a
receipt entered late), as before."""

from __future__ import annotations

import pytest
from stock_story import SITE, Site

from carecoord.events.stock import OrderForm, stock_id
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.stock.draws import poured_from
from carecoord.services.stock.record import SiteStock


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
        poured_from(stocked(), "methadone", form, [("bottles.1.lot", lot)])

    assert (refused.value.field, refused.value.rule) == ("bottles.1.lot", "lot-medication")
    assert f"lot {lot} here is {held}, not methadone {form}" in str(refused.value)


def test_the_lot_of_the_medication_and_a_lot_not_yet_received_are_drawn_on() -> None:
    stock = stocked()

    poured_from(stock, "methadone", "oral solution", [("lot", "M-100"), ("lot", "M-200")])

    assert set(stock.lots) == {"M-100", "B-7"}, "nothing is recorded by the check"
