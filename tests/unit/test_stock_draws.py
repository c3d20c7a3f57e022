"""A dose or take-home drawn from a lot the site holds is recorded on the site's record and
refused beyond what the lot holds there: the lot cannot have given it, so the record or the
lot named is wrong (before, the lot was drawn below zero and the count found it later).
Whatever else takes from the lot (a waste, a transfer out, a loss, a receipt taken back) is
decided on those draws too, as the batch read them, though the stock view has not read them
yet: before, it counted the view's doses only, and a dose stored after the view read was
taken again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from stock_story import DOCTOR, RULES, SITE, START, Site

from carecoord.events.stock import (
    Resolution,
    StockDiscrepancyFound,
    StockDrawn,
    StockTransferredOut,
    StockWasted,
    draws_id,
    stock_id,
)
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import NotFound, RuleViolation
from carecoord.services.stock import commands, draws
from carecoord.services.stock.lot_draws import LotDraws
from carecoord.services.stock.record import SiteStock


class Draws(Site):
    """The site, and the record of draws on each of its lots, which the stock commands read
    as the bus would; the stock view has read none of the draws (``Site.dispensed``)."""

    def record(self, lot: str) -> LotDraws:
        found = self.touched.setdefault(
            aggregate_id(LotDraws.context, draws_id(SITE, lot)), LotDraws(draws_id(SITE, lot))
        )
        assert isinstance(found, LotDraws)
        return found

    def stock(self) -> SiteStock:
        found = self.touched[aggregate_id(SiteStock.context, stock_id(SITE))]
        assert isinstance(found, SiteStock)
        return found

    def drawn(self, *poured: tuple[str, str, str]) -> UUID:
        """Each (field, lot, amount) poured now under one dispensing; its id."""
        dispensed_id = uuid4()
        amounts = [(field, lot, Decimal(amount)) for field, lot, amount in poured]
        draws.draw(self.stock(), self.record, self.stamp(), RULES, dispensed_id, self.now, amounts)
        return dispensed_id

    def give_back(self, dispensed_id: UUID, *lots: str) -> None:
        draws.give_back(self.stock(), self.record, self.stamp(), RULES, dispensed_id, lots)

    def quantities(self) -> list[Decimal]:
        return [e.quantity for e in self.events(StockDrawn)]


def test_a_draw_past_what_the_lot_holds_is_refused_and_records_nothing() -> None:
    site = Draws()
    site.receive("M-100", "100")
    site.later(hours=1)
    site.drawn(("lot", "M-100", "60"))

    with pytest.raises(RuleViolation) as refused:
        site.drawn(("lot", "m-100", "60"))

    assert (refused.value.field, refused.value.rule) == ("lot", "on-hand")
    assert "lot M-100 holds 40 mg by the site's record, not the 60 mg" in refused.value.message
    assert site.quantities() == [Decimal(60)]
    site.drawn(("lot", "M-100", "40"))


def test_a_take_homes_bottles_from_one_lot_are_drawn_together() -> None:
    """Two bottles of 30 from a lot holding 40: the first bottle naming it is named."""
    site = Draws()
    site.receive("M-100", "40")
    with pytest.raises(RuleViolation) as refused:
        site.drawn(("bottles.0.lot", "M-100", "30"), ("bottles.1.lot", "M-100", "30"))
    assert (refused.value.field, refused.value.rule) == ("bottles.0.lot", "on-hand")
    site.drawn(("bottles.0.lot", "M-100", "20"), ("bottles.1.lot", "M-100", "20"))
    assert site.quantities() == [Decimal(40)]


def test_waste_and_a_dose_charted_late_count_where_they_happened() -> None:
    """A waste dated after a dose charted late leaves the lot what it held then and ever
    since."""
    site = Draws()
    received_at = site.now
    site.receive("M-100", "100")
    site.later(hours=2)
    site.waste("M-100", "50")
    site.later(hours=1)
    site.now = received_at + timedelta(hours=1)
    with pytest.raises(RuleViolation, match="holds 50 mg"):
        site.drawn(("lot", "M-100", "60"))
    assert site.quantities() == []


def test_a_lot_the_site_had_not_received_by_the_draw_is_refused() -> None:
    """At a site keeping stock, a mistyped lot was drawn on unrecorded: the DEA dispensing
    log named a lot that does not exist, taken below zero by every dose. So was a lot a dose
    charted late was given from before its receipt. A take-home names the bottle."""
    site = Draws()
    received_at = site.now
    site.receive("M-100", "100")
    site.later(hours=1)

    with pytest.raises(NotFound) as unknown:
        site.drawn(("bottles.0.lot", "m-100", "30"), ("bottles.1.lot", "M-1OO", "30"))
    site.now = received_at - timedelta(hours=1)
    with pytest.raises(NotFound) as early:
        site.drawn(("lot", "m-100", "30"))

    assert (unknown.value.field, unknown.value.rule) == ("bottles.1.lot", "unknown-lot")
    assert "no lot 'M-1OO'; record its receipt (or transfer in) first" in unknown.value.message
    assert (early.value.field, early.value.rule) == ("lot", "unknown-lot")
    assert (
        f"lot M-100 came in at site {SITE} at {received_at:%Y-%m-%d %H:%M}, after it was"
        f" poured ({site.now:%Y-%m-%d %H:%M})"
    ) in early.value.message
    assert site.quantities() == []


def test_a_dispensing_marked_in_error_gives_back_what_it_drew_once() -> None:
    site = Draws()
    site.receive("M-100", "100")
    site.later(hours=1)
    dose = site.drawn(("lot", "M-100", "60"))
    site.give_back(dose, "m-100")
    site.give_back(dose, "M-100")

    assert site.quantities() == [Decimal(60), Decimal(-60)]
    site.drawn(("lot", "M-100", "100"))


def test_a_waste_or_transfer_out_past_what_the_draws_left_is_refused() -> None:
    """The stock view has read none of the draws; the lot's record of draws has them."""
    site = Draws()
    site.receive("M-100", "100")
    site.later(hours=1)
    site.drawn(("lot", "M-100", "60"))
    site.later(minutes=1)

    takes: list[Callable[[], object]] = [
        lambda: site.waste("M-100", "60"),
        lambda: site.transfer("M-100", "60", "South OTP"),
    ]
    for take in takes:
        with pytest.raises(RuleViolation) as refused:
            take()
        assert (refused.value.field, refused.value.rule) == ("quantity", "on-hand")
        assert "lot M-100 holds 40 mg" in refused.value.message
    assert site.events(StockWasted) == []
    assert site.events(StockTransferredOut) == []

    site.waste("M-100", "40")
    with pytest.raises(RuleViolation, match="holds 0 mg"):
        site.drawn(("lot", "M-100", "1"))


def test_a_loss_reported_or_a_receipt_taken_back_counts_the_draws_since() -> None:
    site = Draws()
    first = site.receive("M-100", "100")
    site.receive("M-100", "50", order_form_number="222-more")
    site.later(hours=1)
    site.count(("M-100", "140"))
    [short] = site.events(StockDiscrepancyFound)
    site.later(hours=1)
    site.drawn(("lot", "M-100", "145"))  # the records hold 150 less the 10 found short

    with pytest.raises(RuleViolation) as refused:
        site.run(
            commands.resolve(
                site.stamp(DOCTOR), site=SITE, alert_id=short.alert_id,
                resolution=Resolution.LOSS_REPORTED, note="DEA Form 106 filed",
                ledger=replace(site.ledger(), at=short.occurred_at), rules=RULES,
            )
        )  # fmt: skip
    assert (refused.value.rule, refused.value.message.split(":")[0]) == (
        "loss-within-stock", "lot M-100 has held as little as 5 mg since the count that found"
        " this shortfall of 10",
    )  # fmt: skip
    with pytest.raises(RuleViolation) as refused:
        site.in_error(first, ledger=replace(site.ledger(), at=START))
    assert refused.value.rule == "receipt-drawn-on"
    assert "held as little as 5 mg" in refused.value.message
