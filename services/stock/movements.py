"""What moves stock in and out besides doses: receipts, waste and breakage, transfers.

Rules (21 CFR 1304.21-1304.22, 1305.03): a receipt is of a controlled medication in the
formulary, in one of its forms, on the order form its schedule needs (a DEA Form 222 or
CSOS for schedule II, an invoice allowed from III on), from a supplier with a well-formed
DEA registration and a name a reader sees (one line, nothing invisible: the DEA record names
whom it came from), once per order form and lot, neither expired nor expiring more than
``SHELF_LIFE`` on. A lot keeps the medication and form of its first receipt. Waste and
transfers leave at most what the perpetual inventory holds of the lot at that moment and
has held ever since (an entry dated back must not take a later balance below zero), by the
stock view's doses and by the lot's record of draws read in the batch (``Lot.least``), so a
dose stored after the view was read is counted too. Waste names a witness other than the
person recording it. A transfer between sites records both
sides in one transaction, once per order form and lot when it names one, to a site whose
name reads one way and not as the sending site's (``OTP`` with a Cyrillic O, a fullwidth O,
two spaces or in small letters is the same site to a reader, and the stock would leave the
books for it: ``visible_names.site_named``, ``user_ids.read_alike``), and to a site of the
program not retired (``sites.py``), never a name typed wrong, which no one keeps the books
of. A line of an order form (its form, number and lot) comes into a site once, by receipt or
by transfer in: the receiving site's DEA 222 a transfer names is the one its supplier's
receipt would name. An entry is dated when it happened: not in the future, and at most
``BACKDATE`` back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from carecoord.events import CareEvent, amounts
from carecoord.events.bounds import said
from carecoord.events.stock import (
    OrderForm,
    StockReceived,
    StockTransferredIn,
    StockTransferredOut,
    StockWasted,
    WasteReason,
    stock_id,
)
from carecoord.services.kernel.clinical_time import happened
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.platform_ids import a_person
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.user_ids import read_alike
from carecoord.services.kernel.visible_names import shown, site_named
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock import sites
from carecoord.services.stock.lot_draws import DrawsOn
from carecoord.services.stock.record import FormLine, Ledger, Lot, Move, SiteStock

BACKDATE = timedelta(days=31)
"""How late a stock entry may be made: a month's paper records (a receipt, a count sheet)
entered late; anything older is a discrepancy to explain, not an entry to date back."""
SHELF_LIFE = timedelta(days=3653)
"""Ten years, the most a lot may be received before its expiry: twice the longest shelf
life of a controlled medication kept here; a later date is a typo (2127 for 2027)."""
ORDER_FORMS_FOR_SCHEDULE_II = frozenset({OrderForm.DEA_222, OrderForm.CSOS})


@dataclass(frozen=True, slots=True)
class Receipt:
    lot: str
    medication: str
    dosage_form: str
    quantity: Decimal
    containers: int
    order_form: OrderForm
    order_form_number: str
    supplier: str
    supplier_dea_number: str
    expires_on: date | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Waste:
    lot: str
    quantity: Decimal
    reason: WasteReason
    description: str
    witness_id: str
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    lot: str
    quantity: Decimal
    to_site: str
    order_form: OrderForm
    order_form_number: str = ""
    occurred_at: datetime | None = None


def dated(stamp: Stamp, field: str, moment: datetime | None) -> datetime:
    """When an entry happened: now, or a time given that is neither ahead nor too far back.
    One within the clock tolerance ahead is now: kept ahead, a count taken just after it
    did not see it (a waste dated four minutes on made the count after it 10 mg short)."""
    now = stamp.clock()
    if moment is None:
        return now
    with_offset(field, moment)
    when = happened(field, moment, now=now, enrolled_at=None)
    if moment < now - BACKDATE:
        raise InvalidInput(
            field,
            "stock-backdate-limit",
            f"{field} is more than {BACKDATE.days} days back; record what was found now and"
            " explain the difference",
        )
    return when


def record_entry(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    event: type[CareEvent],
    when: datetime,
    **facts: Any,
) -> None:
    """Every entry on a site's record names the site and the program day it falls on."""
    stock.record(
        stamp.event(event, stock.client_id, when, site=stock.site, day=rules.day_of(when), **facts)
    )


def receive(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    site: str,
    receipt_id: UUID,
    given: Receipt,
) -> None:
    site_named("site", site)
    written = rules.formulary.written(given.dosage_form)
    given = replace(given, lot=stock.named(given.lot), dosage_form=written)
    when = dated(stamp, "receivedAt", given.received_at)
    drug = rules.formulary.lookup(given.medication)
    if not drug.dea_schedule:
        raise InvalidInput(
            "medication",
            "controlled-substance",
            f"{drug.name} is not a controlled substance; its stock is not kept here",
        )
    if given.dosage_form not in drug.forms:
        raise InvalidInput(
            "dosageForm", "formulary-form", f"{drug.name} forms: {', '.join(drug.forms)}"
        )
    if drug.dea_schedule in ("CI", "CII") and given.order_form not in ORDER_FORMS_FOR_SCHEDULE_II:
        raise InvalidInput(
            "orderForm",
            "schedule-ii-order-form",
            f"{drug.name} is schedule {drug.dea_schedule[1:]}: it is received on a DEA Form 222"
            " or through CSOS (21 CFR 1305.03), not an invoice",
        )
    if not dea_number_checks(given.supplier_dea_number):
        raise InvalidInput(
            "supplierDeaNumber",
            "dea-number",
            "a DEA registration is two letters and seven digits whose last is the check digit",
        )
    day = rules.day_of(when)
    if given.expires_on is not None and given.expires_on < day:
        raise RuleViolation(
            "expiresOn", "not-expired", f"lot {given.lot} expired on {given.expires_on}"
        )
    if given.expires_on is not None and given.expires_on > day + SHELF_LIFE:
        raise InvalidInput(
            "expiresOn",
            "shelf-life",
            f"lot {given.lot} expires on {given.expires_on}: at most ten years after it is"
            f" received ({day}) is accepted; check the year",
        )
    known = stock.held(given.lot)
    if known is not None and (known.medication, known.dosage_form) != (
        drug.code,
        given.dosage_form,
    ):
        raise RuleViolation(
            "lot",
            "lot-medication",
            f"lot {given.lot} here is {known.medication} {known.dosage_form}",
        )
    not_brought_in(stock, (given.order_form, given.order_form_number, given.lot), Move.RECEIVED)
    stock.record(
        stamp.event(
            StockReceived,
            stock_id(site),
            when,
            site=site,
            day=day,
            lot=given.lot,
            medication=drug.code,
            strength=drug.forms[given.dosage_form],
            dosage_form=given.dosage_form,
            unit=drug.unit,
            dea_schedule=drug.dea_schedule,
            receipt_id=receipt_id,
            quantity=given.quantity,
            containers=given.containers,
            order_form=given.order_form,
            order_form_number=given.order_form_number,
            supplier=shown("supplier", given.supplier),
            supplier_dea_number=given.supplier_dea_number,
            expires_on=given.expires_on,
        )
    )


def waste(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    waste_id: UUID,
    given: Waste,
    ledger: Ledger,
    draws: DrawsOn,
) -> None:
    lot = stock.lot(given.lot)
    when = dated(stamp, "occurredAt", given.occurred_at)
    witnessed_by_another(stamp, given.witness_id)
    description = said(given.description)
    if not description:
        raise InvalidInput("description", "waste-description", "say what was wasted and how")
    within_stock(lot, given.quantity, ledger, draws)
    record_entry(
        stock,
        stamp,
        rules,
        StockWasted,
        when,
        **lot.facts(),
        waste_id=waste_id,
        quantity=given.quantity,
        reason=given.reason,
        description=description,
        witness_id=given.witness_id.strip(),
    )


def transfer(
    source: SiteStock,
    target: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    transfer_id: UUID,
    given: Transfer,
    ledger: Ledger,
    draws: DrawsOn,
) -> None:
    lot = source.lot(given.lot)
    when = dated(stamp, "occurredAt", given.occurred_at)
    to_site = site_named("toSite", given.to_site)
    if read_alike(to_site, source.site):
        raise InvalidInput(
            "toSite", "another-site", "a transfer goes to another site, not one read as this one"
        )
    sites.receives_transfers(target, to_site, rules)
    if lot.dea_schedule in ("CI", "CII") and (
        given.order_form not in ORDER_FORMS_FOR_SCHEDULE_II or not given.order_form_number
    ):
        raise InvalidInput(
            "orderFormNumber",
            "schedule-ii-order-form",
            f"lot {lot.lot} is schedule {lot.dea_schedule[1:]}: the receiving site orders it"
            " on a DEA Form 222 or through CSOS; give that form's number",
        )
    if (given.order_form, given.order_form_number, lot.lot) in source.sent:
        raise RuleViolation(
            "orderFormNumber",
            "transfer-recorded",
            f"lot {lot.lot} on {given.order_form.value} {given.order_form_number} is already"
            " transferred",
        )
    named = target.named(lot.lot)
    if given.order_form_number:
        not_brought_in(
            target, (given.order_form, given.order_form_number, named), Move.TRANSFERRED_IN
        )
    there = target.held(lot.lot)
    if there is not None and (there.medication, there.dosage_form) != (
        lot.medication,
        lot.dosage_form,
    ):
        raise RuleViolation(
            "lot", "lot-medication", f"lot {lot.lot} at {to_site} is {there.medication}"
        )
    within_stock(lot, given.quantity, ledger, draws)
    day = rules.day_of(when)
    common = {"day": day, **lot.facts(), "transfer_id": transfer_id, "quantity": given.quantity}
    source.record(
        stamp.event(
            StockTransferredOut,
            source.client_id,
            when,
            site=source.site,
            to_site=to_site,
            order_form=given.order_form,
            order_form_number=given.order_form_number,
            **common,
        )
    )
    target.record(
        stamp.event(
            StockTransferredIn,
            target.client_id,
            when,
            site=to_site,
            from_site=source.site,
            expires_on=lot.expires_on,
            order_form=given.order_form,
            order_form_number=given.order_form_number,
            **(common | {"lot": named}),
        )
    )


def not_brought_in(stock: SiteStock, line: FormLine, move: Move) -> None:
    """A line of an order form ``move`` would bring in that the site already has, by receipt
    or by transfer in, would count its stock in twice: refused."""
    came = stock.brought_in.get(line)
    if came is None:
        return
    form, number, lot = line
    twice = came is Move.RECEIVED and move is Move.RECEIVED
    how = "received" if came is Move.RECEIVED else "received by transfer"
    raise RuleViolation(
        "orderFormNumber",
        "receipt-recorded" if twice else "order-form-recorded",
        f"lot {lot} on {form.value} {number} is already {how} at {stock.site}",
    )


def with_offset(field: str, moment: datetime) -> None:
    """A time said without its UTC offset is ambiguous: refused."""
    if moment.tzinfo is None:
        raise InvalidInput(field, "time-offset", f"{field} needs its UTC offset (e.g. Z)")


def witnessed_by_another(stamp: Stamp, witness_id: str) -> None:
    """Two people: the witness is named, and is not the person recording, nor an id read as
    theirs (``Nurse-Kim`` or ``nurse-kirn`` beside ``nurse-kim``: the ledger would show one
    person as both)."""
    if not witness_id.strip():
        raise InvalidInput("witnessId", "witness-required", "name the witness")
    a_person("witnessId", witness_id.strip())
    if read_alike(witness_id.strip(), stamp.actor.id):
        raise RuleViolation(
            "witnessId",
            "witness-distinct",
            "the witness is another person than the one recording (two-person control), not"
            " an id read as yours",
        )


def within_stock(lot: Lot, quantity: Decimal, ledger: Ledger, draws: DrawsOn) -> None:
    """At most what the lot held then, and has held ever since (an entry dated back)."""
    held = lot.least(ledger, draws(lot.lot).drawn)
    if quantity > held:
        raise RuleViolation(
            "quantity",
            "on-hand",
            f"lot {lot.lot} holds {amounts.shown(held)} {lot.unit} by the perpetual inventory;"
            " at most that leaves it",
        )


def dea_number_checks(number: str) -> bool:
    """A DEA registration number's check digit: the sum of the 1st, 3rd and 5th digits plus
    twice the sum of the 2nd, 4th and 6th ends in the 7th."""
    digits = number[2:]
    if len(number) != 9 or not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
