"""A receipt or a waste marked entered in error: a correction that returns the lot to what it
would have held without the entry, before a witness who confirms it, the entry's own record
staying; a receipt corrected to the amount really received takes the containers given."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from stock_story import DOCTOR, START, WITNESS, Site

from carecoord.events import CareEvent
from carecoord.events.positioned import Positioned
from carecoord.events.stock import (
    CorrectedEntry,
    OrderForm,
    StockCorrectionWitnessed,
    StockCounted,
    StockDiscrepancyFound,
    StockEntryEnteredInError,
    StockEntryWitnessed,
    StockReceived,
)
from carecoord.projections import stock
from carecoord.services.kernel.errors import DomainError, InvalidInput, NotFound, RuleViolation
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands
from carecoord.services.stock.movements import Receipt
from carecoord.services.stock.record import Ledger


def amounts(*given: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(n) for n in given)


def test_a_receipt_in_error_leaves_the_lot_and_its_order_form_may_be_received_again() -> None:
    site = Site()
    wrong = site.receive("M-100", "1000")  # 100 received
    site.later(hours=1)

    assert site.in_error(wrong) == wrong
    site.receive("M-100", "100")  # the same DEA 222 and lot, entered right
    site.dose("M-100", "80")
    site.later(hours=8)
    site.count(("M-100", "20"))

    [marked] = site.events(StockEntryEnteredInError)
    assert (marked.entry, marked.entry_id, marked.quantity, marked.entry_day) == (
        CorrectedEntry.RECEIPT, wrong, Decimal(1000), START.date()
    )  # fmt: skip
    assert (marked.actor, marked.witness_id, marked.reason) == (
        DOCTOR, WITNESS.id, "1000 entered for 100"
    )  # fmt: skip
    assert len(site.events(StockReceived)) == 2, "the wrong receipt's record stays"
    [line] = site.events(StockCounted)[0].lines
    assert (line.received, line.expected, line.variance) == amounts(100, 20, 0)
    assert site.events(StockDiscrepancyFound) == []


def test_a_waste_in_error_returns_its_amount_to_the_lot() -> None:
    site = Site()
    site.receive("M-100", "100")
    site.dose("M-100", "30")
    spill = site.waste("M-100", "60")  # a spill of 6
    site.later(hours=1)

    site.in_error(spill, reason="60 entered for 6")
    site.waste("M-100", "6")
    site.count(("M-100", "64"))

    [line] = site.events(StockCounted)[0].lines
    assert (line.wasted, line.expected, line.variance) == amounts(6, 64, 0)
    assert site.events(StockEntryEnteredInError)[0].entry is CorrectedEntry.WASTE


def test_a_waste_marked_by_mistake_is_recorded_again_at_its_time() -> None:
    """A mark is final, as every mark of entered in error is; the refusal of a second says
    how to undo it, and the waste recorded again at its time leaves the counts as they were."""
    site = Site()
    site.receive("M-100", "100")
    site.dose("M-100", "30")
    spilled_at = site.now
    spill = site.waste("M-100", "6")
    site.later(hours=2)
    site.count(("M-100", "64"))
    site.later(days=3)
    site.in_error(spill, reason="the wrong waste marked")

    again = refusal(site, spill)
    assert (again.field, again.rule) == ("entryId", "not-in-error")
    assert "a mark is final" in again.message
    assert "record the waste again (wasteStock, occurredAt its time)" in again.message
    site.waste("M-100", "6", occurred_at=spilled_at)
    site.count(("M-100", "64"))

    assert [c.lines[0].expected for c in site.events(StockCounted)] == [64, 64]
    assert site.events(StockDiscrepancyFound) == []


def test_a_receipt_drawn_on_since_is_not_taken_back_below_zero() -> None:
    site = Site()
    wrong = site.receive("M-100", "1000")
    site.later(hours=2)
    site.dose("M-100", "80")
    site.later(hours=2)
    site.receive("M-100", "500", order_form_number="222-later")  # the lot holds 1420 now
    before = len(site.events())

    # Without the receipt the lot would have held -80 between the dose and the later receipt.
    since = Ledger(site.position, START, {}, {"M-100": [(START + timedelta(hours=2), Decimal(80))]})
    with pytest.raises(RuleViolation) as refused:
        site.in_error(wrong, ledger=since)
    assert (refused.value.field, refused.value.rule) == ("entryId", "receipt-drawn-on")
    assert "held as little as 920 mg" in refused.value.message
    assert len(site.events()) == before


def refusal(
    site: Site, entry: UUID, reason: str = "typed wrong", witness: str = WITNESS.id
) -> DomainError:
    before = len(site.events())
    with pytest.raises(DomainError) as refused:
        site.in_error(entry, reason, witness)
    assert len(site.events()) == before, "a refusal records nothing"
    return refused.value


def test_a_mark_names_a_reason_another_witness_and_an_entry_of_this_site_once() -> None:
    site = Site()
    receipt = site.receive("M-100", "1000")
    count = site.count(("M-100", "1000"))
    elsewhere = site.run(
        commands.receive(
            site.stamp(), site="South OTP", rules=DEFAULT_RULES,
            receipt=Receipt("S-1", "methadone", "oral solution", Decimal(10), 1,
                            OrderForm.DEA_222, "222-S", "Mallinckrodt", "RM1234563"),
        )
    )  # fmt: skip

    cases = [
        ({"witness": " "}, InvalidInput, "witnessId", "witness-required"),
        ({"witness": DOCTOR.id}, RuleViolation, "witnessId", "witness-distinct"),
        ({"reason": "  "}, InvalidInput, "reason", "reason-required"),
        ({"reason": "\u200b\u2060 "}, InvalidInput, "reason", "reason-required"),
        ({"reason": "wrong\x00lot"}, InvalidInput, "reason", "out_of_bounds"),
        ({"reason": "x" * 501}, InvalidInput, "reason", "string_too_long"),
    ]
    for given, kind, field, rule in cases:
        error = refusal(site, receipt, **given)
        assert (type(error), error.field, error.rule) == (kind, field, rule), given
    for unknown in (uuid4(), count, elsewhere):
        error = refusal(site, unknown)
        assert (type(error), error.field, error.rule) == (NotFound, "entryId", "unknown-entry")

    site.in_error(receipt)
    again = refusal(site, receipt)
    assert (again.field, again.rule) == ("entryId", "not-in-error")


def test_the_stock_view_moves_a_marked_entry_back_in_a_row_of_its_own() -> None:
    site = Site()
    receipt = site.receive("M-100", "1000")
    spill = site.waste("M-100", "60")
    site.in_error(spill, reason="60 entered for 6")
    site.in_error(receipt)
    given = [Positioned(n, e) for n, e in enumerate(site.events(CareEvent), start=1)]

    made = [row for item in given for row in stock.rows(item)]

    assert [(r[2], r[3], r[11], r[14]) for r in made] == [
        ("receipt", Decimal(1000), receipt, ""),
        ("waste", Decimal(-60), spill, WITNESS.id),
        ("waste-in-error", Decimal(60), spill, WITNESS.id),
        ("receipt-in-error", Decimal(-1000), receipt, WITNESS.id),
    ]
    assert made[2][13] == f"waste of {START.date()} entered in error: 60 entered for 6"
    assert sum(r[3] for r in made) == 0
    assert all(len(row) == len(stock.COLUMNS) for row in made)


def test_a_receipt_drawn_on_is_corrected_with_the_amount_received_and_a_count_reconciles() -> None:
    site = Site()
    wrong = site.receive("M-100", "1000")  # 100 received
    site.later(hours=2)
    site.dose("M-100", "80")
    site.later(hours=2)
    drawn = Ledger(site.position, START, {}, {"M-100": [(START + timedelta(hours=2), Decimal(80))]})

    right = site.in_error(wrong, ledger=drawn, received="100")
    site.count(("M-100", "20"))

    [marked] = site.events(StockEntryEnteredInError)
    first, again = site.events(StockReceived)
    assert (marked.entry_id, again.receipt_id, again.quantity) == (wrong, right, Decimal(100))
    assert again.model_dump(exclude=SAID_AGAIN) == first.model_dump(exclude=SAID_AGAIN)
    assert (again.occurred_at, again.actor) == (START, DOCTOR), "at the receipt's time, by whom"
    [line] = site.events(StockCounted)[0].lines
    assert (line.received, line.expected, line.variance) == amounts(100, 20, 0)
    assert site.events(StockDiscrepancyFound) == []
    given = [Positioned(n, e) for n, e in enumerate(site.events(CareEvent), start=1)]
    made = [(r[2], r[3]) for item in given for r in stock.rows(item)]
    assert made[1:3] == [("receipt-in-error", Decimal(-1000)), ("receipt", Decimal(100))]
    assert sum(change for _, change in made) == 100, "the ledger's rows balance (doses aside)"
    assert refusal(site, wrong).rule == "not-in-error"
    site.in_error(right, reason="100 was 90", ledger=drawn, received="90")


SAID_AGAIN = {"event_id", "recorded_at", "actor", "correlation_id", "receipt_id", "quantity"}
"""What a corrected receipt says anew; everything else is the wrong receipt's."""


def test_an_amount_received_too_small_for_what_was_drawn_or_not_an_amount_is_refused() -> None:
    site = Site()
    wrong = site.receive("M-100", "1000")
    spill = site.waste("M-100", "60")
    site.later(hours=2)
    site.dose("M-100", "80")
    drawn = Ledger(site.position, START, {}, {"M-100": [(START + timedelta(hours=2), Decimal(80))]})
    before = len(site.events())

    cases = [
        (wrong, "139.999", RuleViolation, "receipt-drawn-on"),
        (wrong, "0", InvalidInput, "greater_than"),
        (wrong, "1.0001", InvalidInput, "decimal-places"),
        (spill, "6", InvalidInput, "receipt-only"),
    ]
    errors = []
    for entry, amount, kind, rule in cases:
        with pytest.raises(DomainError) as refused:
            site.in_error(entry, ledger=drawn, received=amount)
        errors.append(refused.value)
        assert (type(refused.value), refused.value.field, refused.value.rule) == (
            kind, "receivedAmount", rule
        ), amount  # fmt: skip
    assert "held as little as 860 mg" in errors[0].message
    assert "(at least 140 was received)" in errors[0].message, "60 spilled and 80 dosed"
    assert len(site.events()) == before, "a refusal records nothing"

    site.in_error(wrong, ledger=drawn, received="140")


def test_the_witness_a_mark_names_confirms_it_once_and_apart_from_the_entry() -> None:
    site = Site()
    wrong = site.receive("M-100", "1000")
    spill = site.waste("M-100", "60")
    site.in_error(spill, reason="60 entered for 6")
    site.in_error(wrong)
    before = len(site.events())

    refused = []
    for entry, actor, in_error in [
        (wrong, DOCTOR, True),  # not the witness the mark names
        (wrong, WITNESS, False),  # a receipt has no witness of its own
        (uuid4(), WITNESS, True),
    ]:
        with pytest.raises(DomainError) as error:
            site.witness(entry, actor, in_error=in_error)
        refused.append((type(error.value), error.value.field, error.value.rule))
    assert refused == [
        (RuleViolation, "entryId", "named-witness"),
        (NotFound, "entryId", "unknown-entry"),
        (NotFound, "entryId", "unknown-entry"),
    ]
    assert len(site.events()) == before, "a refusal records nothing"

    site.witness(spill)  # the waste's own confirmation is not its mark's
    site.witness(spill, in_error=True)
    site.witness(wrong, in_error=True)
    with pytest.raises(RuleViolation) as again:
        site.witness(wrong, in_error=True)
    assert (again.value.field, again.value.rule) == ("entryId", "witnessed")

    [waste_seen] = site.events(StockEntryWitnessed)
    confirmed = [(e.entry_id, e.entry, e.actor) for e in site.events(StockCorrectionWitnessed)]
    assert (waste_seen.entry_id, waste_seen.entry) == (spill, "waste")
    assert confirmed == [
        (spill, CorrectedEntry.WASTE, WITNESS),
        (wrong, CorrectedEntry.RECEIPT, WITNESS),
    ]
    given = [Positioned(n, e) for n, e in enumerate(site.events(CareEvent), start=1)]
    seen = [(r[11], r[13]) for item in given for r in stock.rows(item) if r[2] == "witnessed"]
    assert seen == [(spill, "waste"), (spill, "waste-in-error"), (wrong, "receipt-in-error")]


def test_a_corrected_receipt_has_the_containers_given_or_else_the_wrong_receipts() -> None:
    site = Site()
    wrong = site.receive("M-100", "1000", containers=10)
    typo = site.receive("M-200", "500", containers=5)
    before = len(site.events())

    cases = [
        ("100", 0, "greater_than_equal"),
        ("100", 10_001, "less_than_equal"),
        (None, 1, "with-received-amount"),
    ]
    for amount, containers, rule in cases:
        with pytest.raises(InvalidInput) as refused:
            site.in_error(wrong, received=amount, containers=containers)
        assert (refused.value.field, refused.value.rule) == ("receivedContainers", rule), rule
    assert len(site.events()) == before, "a refusal records nothing"

    right = site.in_error(wrong, received="100", containers=1)
    site.in_error(typo, received="50")

    received = {e.receipt_id: e.containers for e in site.events(StockReceived)}
    assert (received[right], received[wrong]) == (1, 10), "the wrong receipt's record stays"
    [again] = [e for e in site.events(StockReceived) if e.lot == "M-200" and e.receipt_id != typo]
    assert again.containers == 5
