"""The site stock aggregate: one site's lots, what moved in and out of each, and the counts,
witnesses, discrepancies and entries marked in error recorded on it.

A site is one record (not one per lot) so that a count sees every lot the site holds and can
refuse one that leaves a lot out; receipts, counts, waste and transfers are a few a day, so
one record takes them without contention. Doses belong to each client's medication record,
and a decision that needs them all is handed the ``Ledger`` the stock view read (the
perpetual inventory's dispensed side). A draw is decided on this record and the lot's
record of draws (``lot_draws.py``), which each draw writes; whatever else takes from a lot
(waste, a transfer out, a loss, a receipt taken back) on both, and on the ``Ledger``
(``Lot.least``). Each decision reads the other's record in its batch, which is checked
unchanged as it commits (services/infrastructure/decided_on.py), so a draw and a waste at
once, in one process or two, are decided one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.stock import (
    CorrectedEntry,
    DispensingSiteRegistered,
    DispensingSiteRetired,
    OrderForm,
    StockCorrectionWitnessed,
    StockCounted,
    StockDiscrepancyFound,
    StockDiscrepancyResolved,
    StockEntryEnteredInError,
    StockEntryWitnessed,
    StockReceived,
    StockTransferEnteredInError,
    StockTransferredIn,
    StockTransferredOut,
    StockWasted,
    TransferSide,
)
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.errors import NotFound, RuleViolation


class Move(StrEnum):
    """The kinds of movement a lot's perpetual inventory adds up (doses are the ledger's)."""

    RECEIVED = "received"
    TRANSFERRED_IN = "transferred_in"
    TRANSFERRED_OUT = "transferred_out"
    WASTED = "wasted"
    LOST = "lost"


INTO_STOCK = frozenset({Move.RECEIVED, Move.TRANSFERRED_IN})


@dataclass(frozen=True, slots=True)
class Ledger:
    """What doses drew from each of a site's lots, as the stock view read it: the doses
    recorded through store position ``through`` and given or handed over by ``at``."""

    through: int
    at: datetime
    dispensed: Mapping[str, Decimal] = field(default_factory=dict)
    since: Mapping[str, Sequence[tuple[datetime, Decimal]]] = field(default_factory=dict)
    """What doses drew from each lot after ``at``, and when (an entry in error's amount back
    is negative): read for an entry dated back, which the lot must hold ever since."""

    def of(self, lot: str) -> Decimal:
        return self.dispensed.get(lot, Decimal(0))


@dataclass(slots=True)
class Lot:
    lot: str
    medication: str
    strength: str
    dosage_form: str
    unit: str
    dea_schedule: str
    expires_on: date | None
    moves: list[tuple[datetime, Move, Decimal]] = field(default_factory=list)

    def totals(self, at: datetime) -> dict[Move, Decimal]:
        """Each kind of movement summed over those that happened by ``at``."""
        sums = dict.fromkeys(Move, Decimal(0))
        for when, move, amount in self.moves:
            if when <= at:
                sums[move] += amount
        return sums

    def expected(self, ledger: Ledger) -> Decimal:
        """The perpetual inventory at ``ledger.at``: in, less out, less what doses drew."""
        sums = self.totals(ledger.at)
        moved = sum((v if m in INTO_STOCK else -v for m, v in sums.items()), Decimal(0))
        return moved - ledger.of(self.lot)

    def lowest(self, ledger: Ledger) -> Decimal:
        """The least the lot has held from ``ledger.at`` on: what may leave it then without
        taking it below zero at any later moment."""
        changes = [(w, v if m in INTO_STOCK else -v) for w, m, v in self.moves if w > ledger.at]
        changes += [(when, -amount) for when, amount in ledger.since.get(self.lot, ())]
        return _least(self.expected(ledger), changes)

    def least(self, ledger: Ledger, drawn: Sequence[tuple[datetime, Decimal]]) -> Decimal:
        """What may leave the lot at ``ledger.at`` (a waste, a transfer out, a loss, a
        receipt taken back) without taking it below zero then or since: the lower of the
        stock view's account (``lowest``: every dose, as far as it had read) and the lot's
        record of draws (``spare``: each draw since draws were recorded, a draw stored since
        the view read too, as the record is read in the decision's own batch)."""
        return min(self.lowest(ledger), self.spare(ledger.at, drawn))

    @property
    def came_in(self) -> datetime:
        """When a receipt or transfer first brought it in."""
        return min(when for when, move, _ in self.moves if move in INTO_STOCK)

    def spare(self, at: datetime, drawn: Sequence[tuple[datetime, Decimal]]) -> Decimal:
        """The least the lot has held from ``at`` on by this record and the draws on it
        recorded (``LotDraws``): what came in, less what left and what they took. Doses from
        before draws were recorded, or from before the lot's receipt, are the stock view's
        alone and not counted: a draw is refused only where the records show the lot short."""
        changes = [(w, v if m in INTO_STOCK else -v) for w, m, v in self.moves]
        changes += [(when, -amount) for when, amount in drawn]
        held = sum((change for when, change in changes if when <= at), Decimal(0))
        return _least(held, [(when, change) for when, change in changes if when > at])

    def facts(self) -> dict[str, object]:
        """What every event about this lot repeats for the DEA records."""
        return {
            "lot": self.lot,
            "medication": self.medication,
            "strength": self.strength,
            "dosage_form": self.dosage_form,
            "unit": self.unit,
            "dea_schedule": self.dea_schedule,
        }


def _least(held: Decimal, changes: list[tuple[datetime, Decimal]]) -> Decimal:
    """The least of ``held`` and each balance after it as ``changes`` follow in time (what
    came in at a moment counted first)."""
    least = held
    for _, change in sorted(changes, key=lambda c: (c[0], c[1] < 0)):
        held += change
        least = min(least, held)
    return least


@dataclass(frozen=True, slots=True)
class Entry:
    """A receipt or a waste, as marking it entered in error needs it: what it moved of which
    lot, when, and (a receipt) the receipt itself, which a corrected amount repeats."""

    entry: CorrectedEntry
    lot: str
    quantity: Decimal
    at: datetime
    receipt: StockReceived | None = None

    @property
    def move(self) -> Move:
        return Move.RECEIVED if self.entry is CorrectedEntry.RECEIPT else Move.WASTED


FormLine = tuple[OrderForm, str, str]
"""A line of an order form: the form, its number, and the lot it brought."""


def receipt_key(event: StockReceived) -> FormLine:
    """What a receipt is the one receipt of: its order form, the form's number, and lot."""
    return (event.order_form, event.order_form_number, event.lot)


@dataclass(frozen=True, slots=True)
class Sent:
    """One side of a transfer, as marking it entered in error needs it: which side, what
    it moved of which lot, when, the site on its other side, and its order form line."""

    side: TransferSide
    lot: str
    quantity: Decimal
    at: datetime
    other_site: str
    line: FormLine | None

    @property
    def move(self) -> Move:
        return Move.TRANSFERRED_OUT if self.side is TransferSide.OUT else Move.TRANSFERRED_IN


@dataclass(slots=True)
class Attestation:
    """A count, a waste or a mark of entered in error awaiting (or given) its witness's
    confirmation."""

    entry: str
    recorded_by: str
    witness_id: str
    witnessed: bool = False

    def confirmable_by(self, actor_id: str, field: str) -> None:
        """Only the witness it names confirms it, and once: two people, each signing as
        themselves (the recording person named another, ``witnessed_by_another``)."""
        if actor_id != self.witness_id:
            raise RuleViolation(
                field,
                "named-witness",
                f"this {self.entry} names {self.witness_id} as its witness; they confirm it",
            )
        if self.witnessed:
            raise RuleViolation(field, "witnessed", f"this {self.entry} is already witnessed")


@dataclass(slots=True)
class Discrepancy:
    count_id: UUID
    lot: str
    variance: Decimal
    found_at: datetime
    resolved: bool = False


class SiteStock(Aggregate, context="stock"):
    def __init__(self, stock_id: UUID) -> None:
        super().__init__(stock_id)
        self.site = ""
        self.lots: dict[str, Lot] = {}
        self.names: dict[str, str] = {}
        """Each lot's name as first recorded, by its name in small letters: a lot number is
        printed in capitals on one label and typed in small letters at the window, and
        ``lot-12`` named at the site is its LOT-12."""
        self.brought_in: dict[FormLine, Move] = {}
        """The order form line of every receipt, and of every transfer in that names its
        form, and which of the two brought it: a line comes into the site once."""
        self.sent: set[FormLine] = set()
        """The same of every transfer out that names its order form: one transfer each."""
        self.transfers: dict[UUID, Sent] = {}
        """This site's side of every transfer, by its id; those marked in error in
        ``transfers_in_error``."""
        self.transfers_in_error: set[UUID] = set()
        self.attestations: dict[UUID, Attestation] = {}
        self.entries: dict[UUID, Entry] = {}
        """Every receipt and waste, by its id; those marked entered in error in ``in_error``."""
        self.in_error: dict[UUID, Attestation] = {}
        """The mark of each entry marked entered in error, awaiting (or given) its witness."""
        self.discrepancies: dict[UUID, Discrepancy] = {}
        self.retired = False
        """A program admin retired the site: no stock is transferred to it again."""

    def named(self, lot: str) -> str:
        """``lot`` as the site first recorded it, in whatever case it is written; as written
        when the site holds no such lot."""
        return self.names.get(lot.lower(), lot)

    def held(self, lot: str) -> Lot | None:
        return self.lots.get(self.named(lot))

    def lot(self, lot: str, field: str = "lot") -> Lot:
        found = self.held(lot)
        if found is None:
            raise NotFound(
                field,
                "unknown-lot",
                f"site {self.site or '(none yet)'} has received no lot {lot!r};"
                " record its receipt (or transfer in) first, or name the lot as received",
            )
        return found

    def apply(self, event: CareEvent) -> None:  # noqa: PLR0912  (one branch per event type)
        if isinstance(
            event,
            StockReceived | StockTransferredIn | StockTransferredOut | DispensingSiteRegistered,
        ):
            self.site = event.site
        if isinstance(event, StockReceived | StockTransferredIn):
            self._came_in(event)
        elif isinstance(event, DispensingSiteRetired):
            self.retired = True
        elif isinstance(event, StockTransferredOut):
            self.lots[event.lot].moves.append(
                (event.occurred_at, Move.TRANSFERRED_OUT, event.quantity)
            )
            line = (event.order_form, event.order_form_number, event.lot)
            if event.order_form_number:
                self.sent.add(line)
            self.transfers[event.transfer_id] = Sent(
                TransferSide.OUT, event.lot, event.quantity, event.occurred_at, event.to_site,
                line if event.order_form_number else None,
            )  # fmt: skip
        elif isinstance(event, StockTransferEnteredInError):
            self._undo_transfer(event.transfer_id)
        elif isinstance(event, StockWasted):
            self.lots[event.lot].moves.append((event.occurred_at, Move.WASTED, event.quantity))
            self.attestations[event.waste_id] = Attestation(
                "waste", event.actor.id, event.witness_id
            )
            self.entries[event.waste_id] = Entry(
                CorrectedEntry.WASTE, event.lot, event.quantity, event.occurred_at
            )
        elif isinstance(event, StockEntryEnteredInError):
            self._undo(event.entry_id)
            self.in_error[event.entry_id] = Attestation(
                f"{event.entry.value} entered in error", event.actor.id, event.witness_id
            )
        elif isinstance(event, StockCounted):
            self.attestations[event.count_id] = Attestation(
                "count", event.actor.id, event.witness_id
            )
        elif isinstance(event, StockEntryWitnessed):
            self.attestations[event.entry_id].witnessed = True
        elif isinstance(event, StockCorrectionWitnessed):
            self.in_error[event.entry_id].witnessed = True
        elif isinstance(event, StockDiscrepancyFound):
            self.discrepancies[event.alert_id] = Discrepancy(
                event.count_id, event.lot, event.variance, event.occurred_at
            )
        elif isinstance(event, StockDiscrepancyResolved):
            found = self.discrepancies[event.alert_id]
            found.resolved = True
            if event.lost:
                self.lots[event.lot].moves.append((found.found_at, Move.LOST, event.lost))

    def _came_in(self, event: StockReceived | StockTransferredIn) -> None:
        """A lot brought in by a receipt (an entry that may be marked in error) or a
        transfer, and the order form line it came on."""
        if isinstance(event, StockReceived):
            move = Move.RECEIVED
            self.entries[event.receipt_id] = Entry(
                CorrectedEntry.RECEIPT, event.lot, event.quantity, event.occurred_at, event
            )
        else:
            move = Move.TRANSFERRED_IN
        self._lot(event, event.expires_on).moves.append((event.occurred_at, move, event.quantity))
        line = None
        if event.order_form is not None and event.order_form_number:
            line = (event.order_form, event.order_form_number, event.lot)
            self.brought_in[line] = move
        if isinstance(event, StockTransferredIn):
            self.transfers[event.transfer_id] = Sent(
                TransferSide.IN, event.lot, event.quantity, event.occurred_at, event.from_site,
                line,
            )  # fmt: skip

    def _undo(self, entry_id: UUID) -> None:
        """An entry marked in error moves the opposite amount at its own time, so the lot's
        totals from then on are what they would have been without it; a receipt's order
        form and lot may be received again."""
        entry = self.entries[entry_id]
        self.lots[entry.lot].moves.append((entry.at, entry.move, -entry.quantity))
        if entry.receipt is not None:
            self.brought_in.pop(receipt_key(entry.receipt), None)

    def _undo_transfer(self, transfer_id: UUID) -> None:
        """A transfer marked in error moves the opposite amount at its own time, on either
        side; its order form line may be sent, or brought in, again."""
        sent = self.transfers[transfer_id]
        self.lots[sent.lot].moves.append((sent.at, sent.move, -sent.quantity))
        self.transfers_in_error.add(transfer_id)
        if sent.line is None:
            return
        if sent.side is TransferSide.OUT:
            self.sent.discard(sent.line)
        else:
            self.brought_in.pop(sent.line, None)

    def _lot(self, event: StockReceived | StockTransferredIn, expires_on: date | None) -> Lot:
        found = self.lots.get(event.lot)
        if found is None:
            found = self.lots[event.lot] = Lot(
                event.lot, event.medication, event.strength, event.dosage_form, event.unit,
                event.dea_schedule, expires_on,
            )  # fmt: skip
            self.names.setdefault(event.lot.lower(), event.lot)
        return found
