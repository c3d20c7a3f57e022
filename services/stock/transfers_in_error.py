"""A transfer between sites marked entered in error: sent to the wrong site, for the wrong
amount, or never sent at all.

Without it both sites' perpetual inventories, their ledgers and every later count stayed
wrong for good. As a receipt's or a waste's mark (``corrections.py``), it is a new entry by a
prescriber or program admin, with a reason, and the transfer's records stay (21 CFR 1304);
as the transfer was, it is recorded on both sites' records in one transaction, each naming
its side: the sending lot holds again what it sent, and the receiving lot no longer holds
it, from the transfer's own time on. It is marked at the site it was sent from, once. It is
refused while what the receiving site drew or sent from the lot since would leave that lot
below zero without it: what the receiving site used is recorded as used, and is corrected
on its own first (or sent back by a transfer of its own). Once marked, the transfer's order
form line may be sent and brought in again, as it should have been.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from carecoord.events import amounts
from carecoord.events.bounds import said
from carecoord.events.stock import StockTransferEnteredInError, TransferSide
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.lot_draws import DrawsOn
from carecoord.services.stock.movements import record_entry
from carecoord.services.stock.record import Ledger, Sent, SiteStock


@dataclass(frozen=True, slots=True)
class TransferInError:
    transfer_id: UUID
    reason: str


def sent_from(source: SiteStock, transfer_id: UUID, to_site: str) -> Sent:
    """The transfer ``transfer_id`` as ``source`` sent it to ``to_site``: refused when the
    site sent no such transfer (naming the site that did, when it received it), sent it to
    another site, or it is marked already."""
    sent = source.transfers.get(transfer_id)
    if sent is None:
        raise NotFound("transferId", "unknown-transfer", f"no transfer {transfer_id} at this site")
    if sent.side is TransferSide.IN:
        raise NotFound(
            "transferId",
            "unknown-transfer",
            f"transfer {transfer_id} was received here from {sent.other_site}; mark it at the"
            " site it was sent from",
        )
    if sent.other_site != to_site:
        raise RuleViolation(
            "toSite",
            "transfer-site",
            f"transfer {transfer_id} went to {sent.other_site}; name the site it went to",
        )
    if transfer_id in source.transfers_in_error:
        raise RuleViolation(
            "transferId", "not-in-error", f"transfer {transfer_id} is already marked"
        )
    return sent


def enter_in_error(
    source: SiteStock,
    target: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    given: TransferInError,
    ledger: Ledger,
    draws: DrawsOn,
) -> None:
    """Mark the transfer ``given.transfer_id`` that ``source`` sent to ``target`` in error on
    both records; ``ledger`` is the doses drawn at ``target`` as of the transfer's time and
    since, and ``draws`` the records of draws on ``target``'s lots."""
    reason = said(given.reason)
    if not reason:
        raise InvalidInput("reason", "reason-required", "say why the transfer is in error")
    out = sent_from(source, given.transfer_id, target.site)
    came = target.transfers[given.transfer_id]
    lot = target.lots[came.lot]
    held = lot.least(ledger, draws(lot.lot).drawn)
    if came.quantity > held:
        raise RuleViolation(
            "transferId",
            "transfer-drawn-on",
            f"lot {lot.lot} at {target.site} has held as little as {amounts.shown(held)}"
            f" {lot.unit} since this transfer of {amounts.shown(came.quantity)}: taking it back"
            f" would leave it below zero; what {target.site} used of it is corrected first, or"
            " sent back by a transfer",
        )
    now = stamp.clock()
    for stock, side, other in ((source, out, target.site), (target, came, source.site)):
        record_entry(
            stock,
            stamp,
            rules,
            StockTransferEnteredInError,
            now,
            **stock.lots[side.lot].facts(),
            transfer_id=given.transfer_id,
            side=side.side,
            other_site=other,
            transfer_day=rules.day_of(side.at),
            quantity=side.quantity,
            reason=reason,
        )
