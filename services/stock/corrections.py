"""A receipt or a waste marked entered in error: 1000 mg received for 100, a spill of 60 for 6.

Without it every later count showed the wrong entry as a discrepancy until someone filed a
false loss. The entry's record stays (21 CFR 1304: records are kept, never altered); the mark
is a new entry, by a prescriber or program admin (those who resolve discrepancies), before a
witness who is another person, that returns the lot to what it would have held without the
entry. A receipt is not marked while what was drawn from the lot since would leave it below
zero without it; once marked, its order form and lot may be received again, as they should
have been. A receipt drawn on since (1000 for 100, then doses) is corrected with the amount
actually received: the mark and the receipt of that amount, at the original's time and with
its facts (its container count too, unless a corrected one is given), are recorded together,
so the lot only needs to have held the difference. The mark's witness confirms it under
their own credentials, as a count's or a waste's does (``counts.witness``).

A mark is final, as every entered-in-error mark of the record is (a dose's, a check-in's, a
discharge's): one made by mistake is undone by recording the entry again, at its time (up to
``movements.BACKDATE`` back; an older one now, the difference explained), before a witness
as the first was.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from carecoord.events import CareEvent, amounts
from carecoord.events.bounds import PLACES_RULE, declared_problem, said
from carecoord.events.stock import Containers, Quantity, StockEntryEnteredInError, StockReceived
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp, invalid_input
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.lot_draws import DrawsOn
from carecoord.services.stock.movements import record_entry, witnessed_by_another
from carecoord.services.stock.record import Ledger, Move, SiteStock

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class InError:
    entry_id: UUID
    reason: str
    witness_id: str
    received_amount: Decimal | None = None
    """For a receipt, the amount actually received: recorded as its receipt in its place."""
    received_containers: int | None = None
    """With ``received_amount``, the containers actually received (else the receipt's)."""


def enter_in_error(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    given: InError,
    ledger: Ledger,
    receipt_id: UUID,
    draws: DrawsOn,
) -> None:
    """Mark the receipt or waste ``given.entry_id`` names, and with ``received_amount``
    receive that amount in its place as ``receipt_id``; ``ledger`` is the doses as of that
    entry's time and since, and ``draws`` the lot's record of draws (what a receipt's amount
    is checked against)."""
    witnessed_by_another(stamp, given.witness_id)
    reason = said(given.reason)
    if not reason:
        raise InvalidInput("reason", "reason-required", "say why the entry is in error")
    amount = received(given.received_amount)
    containers = None
    if given.received_containers is not None:
        containers = valid(Containers, given.received_containers, "receivedContainers")
        if not amount:
            raise InvalidInput(
                "receivedContainers",
                "with-received-amount",
                "a container count corrects the receipt recorded in place of the wrong one:"
                " give receivedAmount too",
            )
    entry = stock.entries.get(given.entry_id)
    if entry is None:
        raise NotFound(
            "entryId", "unknown-entry", f"no receipt or waste {given.entry_id} at this site"
        )
    if given.entry_id in stock.in_error:
        again = "wasteStock" if entry.receipt is None else "receiveStock"
        raise RuleViolation(
            "entryId",
            "not-in-error",
            f"{entry.entry.value} {given.entry_id} is already marked, and a mark is final:"
            f" if the mark was the mistake, record the {entry.entry.value} again ({again},"
            " occurredAt its time)",
        )
    if amount and entry.receipt is None:
        raise InvalidInput(
            "receivedAmount", "receipt-only", f"{entry.entry.value} {given.entry_id} is not a"
            " receipt: mark it, and record what really happened on its own"
        )  # fmt: skip
    lot = stock.lots[entry.lot]
    if entry.move is Move.RECEIVED:
        held = lot.least(ledger, draws(lot.lot).drawn)
        if entry.quantity - amount > held:
            raise RuleViolation(
                "receivedAmount" if amount else "entryId",
                "receipt-drawn-on",
                f"lot {lot.lot} has held as little as {amounts.shown(held)} {lot.unit} since"
                f" this receipt of {amounts.shown(entry.quantity)}: taking back"
                f" {amounts.shown(entry.quantity - amount)} would leave it below zero (at least"
                f" {amounts.shown(entry.quantity - held)} was received)",
            )
    record_entry(
        stock,
        stamp,
        rules,
        StockEntryEnteredInError,
        stamp.clock(),
        **lot.facts(),
        entry_id=given.entry_id,
        entry=entry.entry,
        entry_day=rules.day_of(entry.at),
        quantity=entry.quantity,
        witness_id=given.witness_id.strip(),
        reason=reason,
    )
    if entry.receipt is not None and amount:
        received_again(stock, stamp, entry.receipt, amount, containers, receipt_id)


def received(amount: Decimal | None) -> Decimal:
    """The amount actually received, as a receipt's quantity is checked (0 when not given)."""
    return Decimal(0) if amount is None else valid(Quantity, amount, "receivedAmount")


def valid(kind: Any, value: T, field: str) -> T:
    """``value`` within the bounds a receipt's field of type ``kind`` has (its decimal places
    too), or refused as ``field``."""
    try:
        checked: T = TypeAdapter(kind).validate_python(value)
    except ValidationError as invalid:
        raise invalid_input(invalid, field) from None
    found = declared_problem(kind, checked)
    if found:
        raise InvalidInput(field, PLACES_RULE, f"{field} {found}")
    return checked


def received_again(
    stock: SiteStock,
    stamp: Stamp,
    wrong: StockReceived,
    amount: Decimal,
    containers: int | None,
    receipt_id: UUID,
) -> None:
    """The receipt ``wrong`` should have been: its facts and time, ``amount`` received (in
    ``containers``, when given)."""
    facts = wrong.model_dump(include=set(StockReceived.model_fields) - set(CareEvent.model_fields))
    facts |= {"receipt_id": receipt_id, "quantity": amount}
    if containers is not None:
        facts["containers"] = containers
    stock.record(stamp.event(StockReceived, stock.client_id, wrong.occurred_at, **facts))
