"""A transfer marked entered in error: both sites' records say so, the sending lot holds again
what it sent and the receiving lot no longer holds it, the transfer's records staying. Before,
a transfer to the wrong site, of the wrong amount, or never made, could not be corrected, and
both sites' inventories stayed wrong for good."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from stock_story import DOCTOR, RULES, SITE, START, Site

from carecoord.events.stock import (
    OrderForm,
    StockTransferEnteredInError,
    StockTransferredIn,
    TransferSide,
    stock_id,
)
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import DomainError, InvalidInput, NotFound, RuleViolation
from carecoord.services.stock import commands
from carecoord.services.stock.movements import Transfer
from carecoord.services.stock.record import Ledger, Move, SiteStock
from carecoord.services.stock.transfers_in_error import TransferInError

SOUTH = "South OTP"


def on_hand(site: Site, name: str, lot: str = "M-100") -> Decimal:
    record = site.touched[aggregate_id("stock", stock_id(name))]
    assert isinstance(record, SiteStock)
    totals = record.lots[lot].totals(site.now)
    return (
        totals[Move.RECEIVED] + totals[Move.TRANSFERRED_IN]
        - totals[Move.TRANSFERRED_OUT] - totals[Move.WASTED] - totals[Move.LOST]
    )  # fmt: skip


def mark(
    site: Site,
    transfer_id: UUID,
    at: str = SITE,
    to: str = SOUTH,
    reason: str = "sent to the wrong site",
    drawn_since: tuple[tuple[datetime, Decimal], ...] = (),
) -> UUID:
    """Marked by the medical director at ``at``; the receiving site's doses as of the
    transfer, ``drawn_since`` it."""
    ledger = Ledger(site.position, START, {}, {"M-100": list(drawn_since)})
    command = commands.enter_transfer_in_error(
        site.stamp(DOCTOR),
        site=at,
        to_site=to,
        in_error=TransferInError(transfer_id, reason),
        ledger=ledger,
        rules=RULES,
    )
    return site.run(command)


def refused(site: Site, transfer_id: UUID, **given: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        mark(site, transfer_id, **given)  # type: ignore[arg-type]
    return caught.value


def sent() -> tuple[Site, UUID]:
    """North OTP received 1000 mg of M-100 and sent 300 to South OTP on DEA 222 222-T1."""
    site = Site()
    site.receive("M-100", "1000")
    transfer_id = site.transfer("M-100", "300", SOUTH)
    site.later(hours=2)
    return site, transfer_id


def test_a_transfer_in_error_returns_both_sites_to_what_they_held_without_it() -> None:
    site, transfer_id = sent()

    assert mark(site, transfer_id) == transfer_id

    assert (on_hand(site, SITE), on_hand(site, SOUTH)) == (Decimal(1000), Decimal(0))
    marks = site.events(StockTransferEnteredInError)
    assert [(e.site, e.side, e.other_site, e.quantity) for e in marks] == [
        (SITE, TransferSide.OUT, SOUTH, Decimal(300)),
        (SOUTH, TransferSide.IN, SITE, Decimal(300)),
    ]
    assert {(e.client_id, e.transfer_day, e.reason, e.actor) for e in marks} == {
        (stock_id(e.site), START.date(), "sent to the wrong site", DOCTOR) for e in marks
    }
    assert len(site.events(StockTransferredIn)) == 1, "the transfer's record stays"


def test_its_order_form_line_may_be_transferred_again_once_marked() -> None:
    site, transfer_id = sent()
    mark(site, transfer_id, reason="300 entered for 30")

    site.transfer("M-100", "30", SOUTH)  # the same DEA 222 and lot, entered right

    assert (on_hand(site, SITE), on_hand(site, SOUTH)) == (Decimal(970), Decimal(30))


def test_a_transfer_marked_already_is_refused() -> None:
    site, transfer_id = sent()
    mark(site, transfer_id)

    again = refused(site, transfer_id)

    assert isinstance(again, RuleViolation)
    assert (again.field, again.rule) == ("transferId", "not-in-error")
    assert len(site.events(StockTransferEnteredInError)) == 2


def test_an_unknown_transfer_or_one_named_at_the_wrong_sites_is_refused() -> None:
    site, transfer_id = sent()

    unknown = refused(site, uuid4())
    received_here = refused(site, transfer_id, at=SOUTH, to=SITE)
    elsewhere = refused(site, transfer_id, to="East OTP")

    assert isinstance(unknown, NotFound)
    assert (unknown.field, unknown.rule) == ("transferId", "unknown-transfer")
    assert (received_here.field, received_here.rule) == ("transferId", "unknown-transfer")
    assert f"received here from {SITE}" in received_here.message
    assert (elsewhere.field, elsewhere.rule) == ("toSite", "transfer-site")
    assert f"went to {SOUTH}" in elsewhere.message
    assert site.events(StockTransferEnteredInError) == []


def test_a_reason_is_required() -> None:
    site, transfer_id = sent()

    blank = refused(site, transfer_id, reason="  ")

    assert isinstance(blank, InvalidInput)
    assert (blank.field, blank.rule) == ("reason", "reason-required")


def test_a_transfer_the_receiving_site_has_dosed_from_is_refused_naming_that_site() -> None:
    """South OTP dosed 100 of the 300 since: taking the 300 back would leave its lot at -100."""
    site, transfer_id = sent()
    dosed = ((START + timedelta(hours=1), Decimal(100)),)

    drawn_on = refused(site, transfer_id, drawn_since=dosed)

    assert isinstance(drawn_on, RuleViolation)
    assert (drawn_on.field, drawn_on.rule) == ("transferId", "transfer-drawn-on")
    assert f"lot M-100 at {SOUTH} has held as little as 200" in drawn_on.message
    assert site.events(StockTransferEnteredInError) == []
    assert (on_hand(site, SITE), on_hand(site, SOUTH)) == (Decimal(700), Decimal(300))


def test_a_transfer_the_receiving_site_sent_on_is_refused() -> None:
    """South OTP sent 250 of the 300 on to East OTP: taking back 300 would leave it -250."""
    site, transfer_id = sent()
    site.receive("E-1", site="East OTP", order_form_number="222-east")
    onward = Transfer("M-100", Decimal(250), "East OTP", OrderForm.DEA_222, "222-T9")
    site.run(
        commands.transfer(
            site.stamp(), site=SOUTH, transfer=onward, ledger=site.ledger(), rules=RULES
        )
    )

    drawn_on = refused(site, transfer_id)

    assert (drawn_on.field, drawn_on.rule) == ("transferId", "transfer-drawn-on")
    assert "has held as little as 50" in drawn_on.message
