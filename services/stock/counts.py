"""Counts and their reconciliation, the witness's confirmation (of a count, a waste or a
mark of entered in error), and discrepancies resolved.

A count is the recording person's, before a witness who confirms it under their own
credentials (two-person control). Each lot counted is reconciled against its perpetual
inventory at the count's time:

    expected = received + transferred in - transferred out - wasted - lost - dispensed

where ``dispensed`` is what doses given at the window and take-homes handed over drew from
the lot (the ``Ledger`` the stock view read). Any difference raises a discrepancy on the
spot: a shortfall is high severity (a loss or theft is reported to the DEA on Form 106,
21 CFR 1301.76(b)), an overage moderate (a dose recorded but not given, a receipt not
entered). An opening or closing count covers every lot the site holds, and waits for the
receipt of any lot doses drew on that the site has none of; a biennial inventory (21 CFR
1304.11(c)) is one of those. A discrepancy stays open until resolved:
explained (the missing or wrong entry is recorded or corrected on its own), or, for a
shortfall, as a loss reported, which takes it out of the perpetual inventory (``lost``) as
of the count that found it, so later counts reconcile: at most what the lot has held from
that count on (a shortfall a receipt's correction since explained is no loss, and taking it
would leave the lot below zero). Neither the person who took that count nor its witness
resolves it, nor anyone whose id reads as theirs: they would close the question about their
own count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import ValidationError

from carecoord.events import CareEvent, amounts
from carecoord.events.bounds import said
from carecoord.events.medication import Severity
from carecoord.events.stock import (
    CountLine,
    CountOccasion,
    Resolution,
    StockCorrectionWitnessed,
    StockCounted,
    StockDiscrepancyFound,
    StockDiscrepancyResolved,
    StockEntryWitnessed,
)
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp, invalid_input
from carecoord.services.kernel.user_ids import read_alike
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.lot_draws import DrawsOn
from carecoord.services.stock.movements import dated, record_entry, witnessed_by_another
from carecoord.services.stock.record import Ledger, Move, SiteStock

RULE_ID = "stock-count-variance"
RULE_VERSION = "1"
"""Any difference between a lot counted and its perpetual inventory is a discrepancy."""
_ALERT_IDS = uuid5(NAMESPACE_URL, "https://carecoord.dev/stock-discrepancies")
COMPLETE = frozenset({CountOccasion.OPENING, CountOccasion.CLOSING})


@dataclass(frozen=True, slots=True)
class Count:
    occasion: CountOccasion
    lines: Sequence[tuple[str, Decimal]]
    """(lot, amount counted) for each lot counted."""
    witness_id: str
    biennial: bool = False
    counted_at: datetime | None = None


def count(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    count_id: UUID,
    given: Count,
    ledger: Ledger,
) -> list[StockDiscrepancyFound]:
    """Record the count and a discrepancy for every lot off its expected amount."""
    when = dated(stamp, "countedAt", given.counted_at)
    witnessed_by_another(stamp, given.witness_id)
    if given.biennial and given.occasion not in COMPLETE:
        raise InvalidInput(
            "biennial", "biennial-occasion", "a biennial inventory is taken at opening or closing"
        )
    lots = [stock.named(lot) for lot, _ in given.lines]
    if not lots:
        raise InvalidInput("lines", "count-lines", "count at least one lot")
    if len(set(lots)) != len(lots):
        raise InvalidInput("lines", "lot-once", "each lot is counted once")
    lines = []
    for n, (name, counted) in enumerate(given.lines):
        lot = stock.lot(name, f"lines.{n}.lot")
        sums = lot.totals(ledger.at)
        try:
            line = CountLine(
                lot=lot.lot,
                medication=lot.medication,
                counted=counted,
                received=sums[Move.RECEIVED],
                transferred_in=sums[Move.TRANSFERRED_IN],
                transferred_out=sums[Move.TRANSFERRED_OUT],
                wasted=sums[Move.WASTED],
                lost=sums[Move.LOST],
                dispensed=ledger.of(lot.lot),
                expected=lot.expected(ledger),
            )
        except ValidationError as invalid:
            raise invalid_input(invalid, prefix=f"lines.{n}") from None
        lines.append(line)
    if given.occasion in COMPLETE:
        complete(stock, given.occasion, lots, ledger)
    record_entry(
        stock,
        stamp,
        rules,
        StockCounted,
        when,
        count_id=count_id,
        occasion=given.occasion,
        biennial=given.biennial,
        lines=tuple(lines),
        witness_id=given.witness_id.strip(),
        ledger_through=ledger.through,
    )
    day = rules.day_of(when)
    found = []
    for line in lines:
        if line.variance:
            event = stamp.event(
                StockDiscrepancyFound,
                stock.client_id,
                when,
                site=stock.site,
                day=day,
                alert_id=uuid5(_ALERT_IDS, f"{count_id}/{line.lot}"),
                count_id=count_id,
                rule_id=RULE_ID,
                rule_version=RULE_VERSION,
                severity=Severity.HIGH if line.variance < 0 else Severity.MODERATE,
                lot=line.lot,
                medication=line.medication,
                counted=line.counted,
                expected=line.expected,
                variance=line.variance,
            )
            stock.record(event)
            found.append(event)
    return found


def complete(stock: SiteStock, occasion: CountOccasion, lots: list[str], ledger: Ledger) -> None:
    """An opening or closing count covers every lot on hand, and is not taken while doses
    drew on a lot the site has no receipt of: the stock view shows it below zero, and no
    count could name it (a late receipt, or doses charted against a mistyped lot)."""
    left_out = sorted(
        lot.lot for lot in stock.lots.values() if lot.lot not in lots and lot.expected(ledger)
    )
    if left_out:
        raise RuleViolation(
            "lines",
            "count-complete",
            f"an {occasion.value} count covers every lot on hand; not counted:"
            f" {', '.join(left_out)}",
        )
    unreceived = sorted(
        lot for lot, drawn in ledger.dispensed.items() if drawn and lot not in stock.lots
    )
    if unreceived:
        raise RuleViolation(
            "lines",
            "count-complete",
            f"doses drew on lots this site has no receipt of: {', '.join(unreceived)}; record"
            f" the receipt, or mark the doses entered in error and chart them from the lot they"
            f" were poured from, before the {occasion.value} count",
        )


def witness(
    stock: SiteStock, stamp: Stamp, rules: MedicationRules, entry_id: UUID, *, in_error: bool
) -> None:
    """The witness a count or waste named confirms it, or (``in_error``) the witness the mark
    of entered in error on the receipt or waste ``entry_id`` named confirms the mark: that
    person, and only once. A waste and its mark may name one witness: which they confirm is
    said, not guessed, so the mistaken waste is not attested for its correction."""
    entry = (stock.in_error if in_error else stock.attestations).get(entry_id)
    if entry is None:
        named = "mark of entered in error on" if in_error else "count or waste"
        marked = entry_id in stock.in_error
        hint = "; confirm its mark of entered in error with inError" if marked else ""
        raise NotFound("entryId", "unknown-entry", f"no {named} {entry_id} at this site{hint}")
    entry.confirmable_by(stamp.actor.id, "entryId")
    event: type[CareEvent] = StockEntryWitnessed
    kind: object = entry.entry
    if in_error:
        event, kind = StockCorrectionWitnessed, stock.entries[entry_id].entry
    record_entry(stock, stamp, rules, event, stamp.clock(), entry_id=entry_id, entry=kind)


def resolve(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    alert_id: UUID,
    resolution: Resolution,
    note: str,
    ledger: Ledger,
    draws: DrawsOn,
) -> None:
    """Close the discrepancy ``alert_id``; ``ledger`` is the doses as of the count that found
    it and since, and ``draws`` the lot's record of draws (what a loss is checked against)."""
    found = stock.discrepancies.get(alert_id)
    if found is None:
        raise NotFound("alertId", "unknown-discrepancy", f"no discrepancy {alert_id} here")
    if found.resolved:
        raise RuleViolation("alertId", "resolved", f"discrepancy {alert_id} is already resolved")
    counted = stock.attestations[found.count_id]
    if any(read_alike(stamp.actor.id, took) for took in (counted.recorded_by, counted.witness_id)):
        raise RuleViolation(
            "alertId",
            "resolver-independent",
            f"discrepancy {alert_id} was found by a count you took or witnessed; another"
            " person resolves it (separation of duties)",
        )
    note = said(note)
    if not note:
        raise InvalidInput("note", "resolution-note", "say what was found")
    lost = Decimal(0)
    if resolution is Resolution.LOSS_REPORTED:
        if found.variance > 0:
            raise RuleViolation(
                "resolution", "loss-is-a-shortfall", "an overage is explained, not lost"
            )
        lost = -found.variance
        lot = stock.lots[found.lot]
        held = lot.least(ledger, draws(lot.lot).drawn)
        if lost > held:
            raise RuleViolation(
                "resolution",
                "loss-within-stock",
                f"lot {lot.lot} has held as little as {amounts.shown(held)} {lot.unit} since the"
                f" count that found this shortfall of {amounts.shown(lost)}: reported lost, it"
                " would leave the lot below zero; what was corrected or recorded since explains"
                " it: resolve it as explained",
            )
    record_entry(
        stock,
        stamp,
        rules,
        StockDiscrepancyResolved,
        stamp.clock(),
        alert_id=alert_id,
        lot=found.lot,
        resolution=resolution,
        lost=lost,
        note=note,
    )
