"""A site's controlled-substance stock: receipts, counts reconciled against the perpetual
inventory, witnessed waste, transfers, and the discrepancies a count raises."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from every_event import every_event
from stock_story import DOCTOR, NURSE, SITE, START, WITNESS, Site

from carecoord.events import Actor, CareEvent, Role
from carecoord.events.medication import Severity
from carecoord.events.positioned import Positioned
from carecoord.events.stock import (
    CountOccasion,
    OrderForm,
    Resolution,
    StockCounted,
    StockDiscrepancyFound,
    StockDiscrepancyResolved,
    StockEntryWitnessed,
    StockReceived,
    StockTransferredIn,
    StockTransferredOut,
    StockWasted,
    stock_id,
)
from carecoord.projections import stock
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands
from carecoord.services.stock.movements import dea_number_checks

ADMIN = Actor(id="admin-rae", role=Role.PROGRAM_ADMIN)


def amounts(*given: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(n) for n in given)


def test_a_count_that_matches_the_perpetual_inventory_raises_nothing() -> None:
    site = Site()
    site.receive("M-100", "10000")
    site.dose("M-100", "80")
    site.dose("M-100", "60")
    site.later(hours=10)

    site.count(("M-100", "9860"))

    [counted] = site.events(StockCounted)
    [line] = counted.lines
    assert (line.received, line.dispensed, line.expected, line.variance) == (
        Decimal(10000), Decimal(140), Decimal(9860), Decimal(0)
    )  # fmt: skip
    assert counted.summary() == "closing count of 1 lots (all as expected)"
    assert counted.client_id == stock_id(SITE), "the envelope names the site's stock"
    assert site.events(StockDiscrepancyFound) == []


def test_expected_is_receipts_less_doses_less_waste_plus_transfers_in_less_out() -> None:
    site = Site()
    site.receive("M-100", "10000")
    site.receive("M-200", "5000", order_form_number="222-77")
    site.dose("M-100", "100")
    site.later(hours=1)
    site.waste("M-100", "25")
    site.transfer("M-200", "1000", "South OTP")
    site.later(hours=1)

    site.count(("M-100", "9875"), ("M-200", "3990"))

    first, second = site.events(StockCounted)[0].lines
    assert (first.wasted, first.expected, first.variance) == amounts(25, 9875, 0)
    assert (second.transferred_out, second.expected, second.variance) == amounts(1000, 4000, -10)
    [found] = site.events(StockDiscrepancyFound)
    assert found.lot == "M-200"
    assert (found.counted, found.expected, found.variance) == amounts(3990, 4000, -10)
    assert (found.severity, found.rule_id, found.rule_version) == (
        Severity.HIGH, "stock-count-variance", "1"
    )  # fmt: skip
    south = [e for e in site.events(StockTransferredIn) if e.site == "South OTP"]
    assert [(e.lot, e.quantity, e.from_site) for e in south] == [("M-200", Decimal(1000), SITE)]
    assert south[0].client_id == stock_id("South OTP")


def test_an_overage_is_a_moderate_discrepancy_and_a_resolution_closes_it() -> None:
    site = Site()
    site.receive()
    site.dose("M-100", "60")
    site.later(hours=9)
    site.count(("M-100", "10000"))  # the dose was recorded but not given
    [found] = site.events(StockDiscrepancyFound)
    assert (found.severity, found.variance) == (Severity.MODERATE, Decimal(60))

    resolve = commands.resolve(
        site.stamp(DOCTOR), site=SITE, alert_id=found.alert_id,
        resolution=Resolution.EXPLAINED, note="dose 60 mg entered for the wrong day",
        ledger=site.ledger(), rules=DEFAULT_RULES,
    )  # fmt: skip
    site.run(resolve)
    [resolved] = site.events(StockDiscrepancyResolved)
    assert resolved.resolution is Resolution.EXPLAINED
    with pytest.raises(RuleViolation) as again:
        site.run(resolve)
    assert again.value.rule == "resolved"


def test_a_daily_count_covers_every_lot_on_hand_and_each_lot_once() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.receive("M-200", "1000", order_form_number="222-9")
    site.dose("M-200", "1000")  # empty: need not be counted
    site.receive("M-300", "500", order_form_number="222-10")
    before = len(site.events())

    with pytest.raises(RuleViolation) as incomplete:
        site.count(("M-100", "1000"), occasion=CountOccasion.OPENING)
    assert (incomplete.value.field, incomplete.value.rule) == ("lines", "count-complete")
    assert "not counted: M-300" in incomplete.value.message
    with pytest.raises(InvalidInput) as twice:
        site.count(("M-100", "1000"), ("M-100", "1000"), occasion=CountOccasion.SPOT)
    assert twice.value.rule == "lot-once"
    with pytest.raises(NotFound) as unknown:
        site.count(("M-999", "1"), occasion=CountOccasion.SPOT)
    assert (unknown.value.field, unknown.value.rule) == ("lines.0.lot", "unknown-lot")
    assert len(site.events()) == before

    site.count(("M-100", "1000"), occasion=CountOccasion.SPOT)  # a spot count of one lot
    site.count(("M-100", "1000"), ("M-300", "500"), occasion=CountOccasion.OPENING)
    assert len(site.events(StockCounted)) == 2


def test_two_people_count_and_the_named_witness_confirms_under_their_own_name() -> None:
    site = Site()
    site.receive()
    with pytest.raises(RuleViolation) as alone:
        site.count(("M-100", "10000"), witness=NURSE.id)
    assert (alone.value.field, alone.value.rule) == ("witnessId", "witness-distinct")

    count_id = site.count(("M-100", "10000"))
    with pytest.raises(RuleViolation) as other:
        site.witness(count_id, DOCTOR)
    assert other.value.rule == "named-witness"
    assert "names nurse-ola as its witness" in other.value.message
    site.witness(count_id)
    [witnessed] = site.events(StockEntryWitnessed)
    assert (witnessed.entry, witnessed.entry_id, witnessed.actor) == ("count", count_id, WITNESS)
    with pytest.raises(RuleViolation) as twice:
        site.witness(count_id)
    assert twice.value.rule == "witnessed"
    with pytest.raises(NotFound):
        site.witness(uuid4())


def test_what_a_lot_holds_is_quoted_as_its_number() -> None:
    """A receipt of "100.000" mg with "80.0" given was quoted as holding 20.000 mg."""
    site = Site()
    site.receive("M-100", "100.000")
    site.dose("M-100", "80.0")
    with pytest.raises(RuleViolation, match="lot M-100 holds 20 mg by the perpetual inventory"):
        site.waste("M-100", "30")


def test_waste_is_witnessed_and_never_more_than_the_lot_holds() -> None:
    site = Site()
    site.receive("M-100", "100")
    site.dose("M-100", "80")
    with pytest.raises(RuleViolation) as too_much:
        site.waste("M-100", "30")
    assert (too_much.value.field, too_much.value.rule) == ("quantity", "on-hand")
    assert "holds 20 mg" in too_much.value.message
    with pytest.raises(RuleViolation) as alone:
        site.waste("M-100", "5", witness=NURSE.id)
    assert alone.value.rule == "witness-distinct"

    waste_id = site.waste("M-100", "5")
    [wasted] = site.events(StockWasted)
    assert (wasted.quantity, wasted.witness_id, wasted.unit) == (Decimal(5), WITNESS.id, "mg")
    site.witness(waste_id)
    assert site.events(StockEntryWitnessed)[0].entry == "waste"


def receipt_refusal(**given: Any) -> tuple[str, str]:
    site = Site()
    site.receive("M-100", "100")
    with pytest.raises((InvalidInput, RuleViolation)) as refused:
        site.receive(**given)
    return refused.value.field, refused.value.rule


@pytest.mark.parametrize(
    ("given", "field", "rule"),
    [
        ({"medication": "sertraline", "dosage_form": "tablet"}, "medication",
         "controlled-substance"),
        ({"medication": "aspirin"}, "medication", "not-in-formulary"),
        ({"dosage_form": "patch"}, "dosageForm", "formulary-form"),
        ({"order_form": OrderForm.INVOICE}, "orderForm", "schedule-ii-order-form"),
        ({"supplier_dea_number": "RM1234564"}, "supplierDeaNumber", "dea-number"),
        ({"expires_on": date(2026, 3, 1)}, "expiresOn", "not-expired"),
        ({"order_form_number": "222-M-100"}, "orderFormNumber", "receipt-recorded"),
        ({"dosage_form": "tablet", "order_form_number": "222-2"}, "lot", "lot-medication"),
        ({"received_at": START + timedelta(hours=1)}, "receivedAt", "not-in-future"),
        ({"received_at": START - timedelta(days=32)}, "receivedAt", "stock-backdate-limit"),
        ({"received_at": datetime(2026, 3, 2, 6)}, "receivedAt", "time-offset"),
    ],
)  # fmt: skip
def test_a_receipt_is_of_a_controlled_drug_on_its_order_form_from_a_registrant(
    given: dict[str, Any], field: str, rule: str
) -> None:
    assert receipt_refusal(**given) == (field, rule)


def test_buprenorphine_may_come_on_an_invoice_and_lots_keep_their_details() -> None:
    site = Site()
    site.receive("B-1", "800", medication="buprenorphine", dosage_form="sublingual film",
                 order_form=OrderForm.INVOICE, order_form_number="INV-5501")  # fmt: skip
    [received] = site.events(StockReceived)
    assert (received.strength, received.dea_schedule, received.day) == (
        "8 mg", "CIII", date(2026, 3, 2)
    )  # fmt: skip
    assert received.summary() == "Received 800 mg buprenorphine lot B-1 (invoice INV-5501)"


def test_a_transfer_records_both_sites_and_a_schedule_ii_one_names_its_order_form() -> None:
    site = Site()
    site.receive("M-100", "1000")
    with pytest.raises(InvalidInput) as same:
        site.transfer("M-100", "10", SITE)
    assert same.value.rule == "another-site"
    with pytest.raises(InvalidInput) as unformed:
        site.transfer("M-100", "10", "South OTP", number="")
    assert unformed.value.rule == "schedule-ii-order-form"
    with pytest.raises(RuleViolation) as too_much:
        site.transfer("M-100", "1001", "South OTP")
    assert too_much.value.rule == "on-hand"

    site.transfer("M-100", "400", "South OTP")
    [out] = site.events(StockTransferredOut)
    [into] = site.events(StockTransferredIn)
    assert out.transfer_id == into.transfer_id
    assert (out.site, out.to_site, into.site, into.from_site) == (
        SITE, "South OTP", "South OTP", SITE
    )  # fmt: skip
    assert into.expires_on == date(2027, 3, 1), "the lot's details travel with it"


def test_a_biennial_inventory_is_an_opening_or_closing_count() -> None:
    site = Site()
    site.receive()
    with pytest.raises(InvalidInput) as spot:
        site.count(("M-100", "10000"), occasion=CountOccasion.SPOT, biennial=True)
    assert spot.value.rule == "biennial-occasion"
    site.count(("M-100", "10000"), occasion=CountOccasion.OPENING, biennial=True)
    assert site.events(StockCounted)[0].biennial


def test_a_doses_and_moves_after_the_count_time_are_not_in_what_it_expected() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.later(hours=2)
    counted_at = site.now
    site.later(minutes=30)
    site.receive("M-100", "500", order_form_number="222-late")  # received after the count
    site.now = counted_at
    site.count(("M-100", "1000"), occasion=CountOccasion.SPOT)
    assert site.events(StockDiscrepancyFound) == []


def test_dea_registration_check_digits() -> None:
    assert dea_number_checks("RM1234563")
    assert dea_number_checks("BJ6125341")
    assert not dea_number_checks("BJ6125342")
    assert not dea_number_checks("BJ612534")


def test_a_count_below_zero_is_refused_naming_the_line() -> None:
    site = Site()
    site.receive()
    with pytest.raises(InvalidInput) as refused:
        site.count(("M-100", "-1"), occasion=CountOccasion.SPOT)
    assert refused.value.field == "lines.0.counted"


def test_a_loss_reported_leaves_the_perpetual_inventory_so_later_counts_reconcile() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.later(hours=9)
    site.count(("M-100", "990"))
    [short] = site.events(StockDiscrepancyFound)
    site.later(hours=1)
    site.run(
        commands.resolve(
            site.stamp(DOCTOR), site=SITE, alert_id=short.alert_id,
            resolution=Resolution.LOSS_REPORTED, note="DEA Form 106 filed",
            ledger=site.ledger(), rules=DEFAULT_RULES,
        )
    )  # fmt: skip
    [resolved] = site.events(StockDiscrepancyResolved)
    assert (resolved.lot, resolved.lost) == ("M-100", Decimal(10))

    site.later(hours=14)
    site.count(("M-100", "990"), occasion=CountOccasion.OPENING)
    line = site.events(StockCounted)[-1].lines[0]
    assert (line.lost, line.expected, line.variance) == amounts(10, 990, 0)
    assert len(site.events(StockDiscrepancyFound)) == 1


def test_an_overage_is_not_reported_as_a_loss() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.count(("M-100", "1010"))
    [over] = site.events(StockDiscrepancyFound)
    with pytest.raises(RuleViolation) as refused:
        site.run(
            commands.resolve(
                site.stamp(DOCTOR), site=SITE, alert_id=over.alert_id,
                resolution=Resolution.LOSS_REPORTED, note="?", ledger=site.ledger(),
                rules=DEFAULT_RULES,
            )
        )  # fmt: skip
    assert refused.value.rule == "loss-is-a-shortfall"


def test_the_stock_view_signs_every_movement_and_reads_doses_by_site_and_lot() -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.waste("M-100", "5")
    site.count(("M-100", "995"))
    given = [Positioned(n, e) for n, e in enumerate(site.events(CareEvent), start=1)]
    doses = [Positioned(100 + n, e) for n, e in enumerate(every_event().events)]

    made = [row for item in given + doses for row in stock.rows(item)]

    kinds = [(row[0], row[1], row[2], row[3]) for row in made]
    assert kinds[:3] == [
        (SITE, "M-100", "receipt", Decimal(1000)),
        (SITE, "M-100", "waste", Decimal(-5)),
        (SITE, "M-100", "count", Decimal(0)),
    ]
    drawn = [k for k in kinds if k[2] in stock.DRAWN]
    assert {k[2] for k in drawn} == {"dose", "take-home", "dose-in-error", "take-home-in-error"}
    assert all(k[3] < 0 for k in drawn if not k[2].endswith("-in-error"))
    [returned] = [k for k in drawn if k[2] == "dose-in-error"]
    assert returned[3] == Decimal(70)  # what the dose entered in error took, given back
    [bottle_back] = [k for k in drawn if k[2] == "take-home-in-error"]
    assert bottle_back[3] == Decimal(70)  # the bottle of the take-home entered in error
    assert all(len(row) == len(stock.COLUMNS) for row in made)


@pytest.mark.parametrize(
    ("counter", "witness"), [(DOCTOR, WITNESS.id), (NURSE, DOCTOR.id)], ids=["counted", "witnessed"]
)
def test_a_discrepancy_is_not_resolved_by_who_took_or_witnessed_its_count(
    counter: Actor, witness: str
) -> None:
    site = Site()
    site.receive("M-100", "1000")
    site.count(("M-100", "990"), actor=counter, witness=witness)
    [short] = site.events(StockDiscrepancyFound)
    before = len(site.events())

    def resolve(actor: Actor) -> None:
        site.run(
            commands.resolve(
                site.stamp(actor), site=SITE, alert_id=short.alert_id,
                resolution=Resolution.LOSS_REPORTED, note="DEA Form 106 filed",
                ledger=site.ledger(), rules=DEFAULT_RULES,
            )
        )  # fmt: skip

    with pytest.raises(RuleViolation) as own:
        resolve(DOCTOR)
    assert (own.value.field, own.value.rule) == ("alertId", "resolver-independent")
    assert len(site.events()) == before
    resolve(ADMIN)
    [resolved] = site.events(StockDiscrepancyResolved)
    assert (resolved.actor, resolved.lost) == (ADMIN, Decimal(10))


def test_a_receipt_names_its_medication_in_any_letters_and_the_lot_keeps_its_code() -> None:
    site = Site()
    site.receive("M-100", "100", medication="Methadone")
    site.receive("M-100", "50", medication=" METHADONE", order_form_number="222-2")

    assert [r.medication for r in site.events(StockReceived)] == ["methadone", "methadone"]
