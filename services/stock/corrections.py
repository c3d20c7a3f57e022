"""A receipt or a waste marked entered in error: 1000 mg received for 100, a spill of 60 for 6.

Without it every later count showed the wrong entry as a discrepancy until someone filed a
false loss. The entry's record stays (21 CFR 1304: records are kept, never altered); the mark
is a new entry, by a prescriber or program admin (those who resolve discrepancies), before a
witness who is another person, that returns the lot to what it would have held without the
entry. A receipt is not marked while what was drawn from the lot since would leave it below
zero without it; once marked, its order form and lot may be received again, as they should
have been.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from carecoord.events.stock import StockEntryEnteredInError
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.movements import record_entry, witnessed_by_another
from carecoord.services.stock.record import Ledger, Move, SiteStock


@dataclass(frozen=True, slots=True)
class InError:
    entry_id: UUID
    reason: str
    witness_id: str


def enter_in_error(
    stock: SiteStock, stamp: Stamp, rules: MedicationRules, given: InError, ledger: Ledger
) -> None:
    """Mark the receipt or waste ``given.entry_id`` names; ``ledger`` is the doses as of that
    entry's time and since (what a receipt's amount is checked against)."""
    witnessed_by_another(stamp, given.witness_id)
    reason = given.reason.strip()
    if not reason:
        raise InvalidInput("reason", "reason-required", "say why the entry is in error")
    entry = stock.entries.get(given.entry_id)
    if entry is None:
        raise NotFound(
            "entryId", "unknown-entry", f"no receipt or waste {given.entry_id} at this site"
        )
    if given.entry_id in stock.in_error:
        raise RuleViolation(
            "entryId", "not-in-error", f"{entry.entry.value} {given.entry_id} is already marked"
        )
    lot = stock.lots[entry.lot]
    if entry.move is Move.RECEIVED:
        held = lot.lowest(ledger)
        if entry.quantity > held:
            raise RuleViolation(
                "entryId",
                "receipt-drawn-on",
                f"lot {lot.lot} has held as little as {held} {lot.unit} since this receipt"
                f" of {entry.quantity}: without it the lot would go below zero",
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
