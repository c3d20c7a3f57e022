"""What a dose or a take-home bottle may say it was poured from.

A lot named at a site that keeps no stock here (no receipt or transfer in recorded) is the
nurse's word alone, as before stock was kept. A site keeping stock refuses a lot it had no
receipt of by the time poured (``unknown-lot``, in ``draw``): a mistyped lot number put a
lot that does not exist in the DEA dispensing log, drawn below zero by every dose; a
receipt entered late is recorded (dated when the lot came in) before the dose. A lot the
site does hold of another medication or form is refused too: the dose would take methadone
mg out of a buprenorphine lot, one lot coming up short at the count and the other over, so
it is refused while the nurse can still name the right lot. So is a lot no receipt could
name (``LOT-7 `` with a space, ``LOT-7`` with a zero-width space after it): the ledger
showed it beside LOT-7 as one more lot that reads the same, short by every dose drawn on
it, with LOT-7 over by as much. A lot the site holds past its expiry date on the day a draw
is for is refused too (``not-expired``, as a receipt of one is): its strength and purity
are assured through that date only (21 CFR 211.137(a): the expiration date assures the
product meets its standards at the time of use). The day a take-home bottle is for is the
day it is taken, not the day it is handed over: one handed over the day before its lot
expires for the day after holds a dose past that date. A lot the site has no receipt of has
no expiry here to go by. A lot named in other letters than the site's (``lot-7`` for its
LOT-7) is that lot, and is drawn as the site first recorded it: the stock ledger showed
``lot-7`` as a lot of its own, short by every dose drawn on it, with LOT-7 over by as much.

A draw from a lot the site holds is recorded on the lot's record of draws (``draw``), and is
refused beyond what the lot holds (``on-hand``, as waste and transfers are): a lot
cannot physically give more than it holds, so a dose past it means the record or the lot
named is wrong, a controlled-substance discrepancy the nurse clears (the right lot, a
receipt entered late) before the dose is charted, not one found at the next count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from carecoord.events.amounts import shown
from carecoord.events.stock import LOT_MAX, LOT_PATTERN, StockDrawn
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.lot_draws import LotDraws
from carecoord.services.stock.record import Lot, SiteStock

EXPIRY_SOURCE = (
    "21 CFR 211.137(a): an expiration date assures the product meets its standards of"
    " identity, strength, quality and purity at the time of use"
)


def poured_from(
    stock: SiteStock,
    medication: str,
    dosage_form: str,
    lots: Iterable[tuple[str, str, date]],
) -> Mapping[str, str]:
    """Each (field, lot, day) named is written as a receipt writes a lot, and if the site
    holds it, is of ``medication`` in ``dosage_form`` and not expired on ``day``, the day the
    draw is for. The names as the site holds them, by the names given."""
    named: dict[str, str] = {}
    for field, name, day in lots:
        if len(name) > LOT_MAX or re.fullmatch(LOT_PATTERN, name) is None:
            raise InvalidInput(
                field,
                "lot-number",
                f"{field} is not a lot number as a receipt writes one: a letter or digit, then"
                f" letters, digits and . _ / - (no spaces or invisible characters), at most"
                f" {LOT_MAX} characters",
            )
        known = stock.held(name)
        if known is not None and (known.medication, known.dosage_form) != (
            medication,
            dosage_form,
        ):
            raise RuleViolation(
                field,
                "lot-medication",
                f"lot {name} here is {known.medication} {known.dosage_form}, not"
                f" {medication} {dosage_form}",
            )
        if known is not None and known.expires_on is not None and known.expires_on < day:
            raise RuleViolation(
                field,
                "not-expired",
                f"lot {name} expired on {known.expires_on}, before {day}, the day it is"
                f" given for: nothing is given from it for a day after its expiry (source:"
                f" {EXPIRY_SOURCE})",
            )
        named[name] = stock.named(name)
    return named


def draw(
    stock: SiteStock,
    records: Callable[[str], LotDraws],
    stamp: Stamp,
    rules: MedicationRules,
    dispensed_id: UUID,
    at: datetime,
    poured: Iterable[tuple[str, str, Decimal]],
) -> None:
    """Each (field, lot, amount) poured at ``at`` from a lot the site holds, recorded on the
    lot's record of draws (``records`` gives it by the lot's name), a lot once with all it
    gave (a take-home's bottles): refused naming the first field that names a lot holding
    less, then and ever since, than is drawn from it, or one the site had no receipt (or
    transfer in) of by ``at`` (``unknown-lot``). A site that keeps no stock here (no lot
    received) draws on nothing: its lots are the nurse's word alone."""
    if not stock.lots:
        return
    fields: dict[str, str] = {}
    amounts: dict[str, Decimal] = {}
    for field, name, amount in poured:
        lot = stock.lot(name, field)
        if lot.came_in > at:
            raise NotFound(
                field,
                "unknown-lot",
                f"lot {lot.lot} came in at site {stock.site} at"
                f" {lot.came_in.astimezone(rules.zone):%Y-%m-%d %H:%M}, after it was poured"
                f" ({at.astimezone(rules.zone):%Y-%m-%d %H:%M}): name the lot it was poured"
                " from, or record the receipt or transfer that brought it in by then first",
            )
        fields.setdefault(lot.lot, field)
        amounts[lot.lot] = amounts.get(lot.lot, Decimal(0)) + amount
    for name, amount in amounts.items():
        lot, record = stock.lots[name], records(name)
        spare = lot.spare(at, record.drawn)
        if amount > spare:
            raise RuleViolation(
                fields[name],
                "on-hand",
                f"lot {name} holds {shown(max(spare, Decimal(0)))} {lot.unit} by the site's"
                f" record, not the {shown(amount)} {lot.unit} drawn from it: name the lot it was"
                " poured from, or record the receipt or transfer that brought it in first; a count"
                " finding the record wrong is a discrepancy to investigate",
            )
        _drawn(record, stock, stamp, rules, dispensed_id, at, lot, amount)


def give_back(
    stock: SiteStock,
    records: Callable[[str], LotDraws],
    stamp: Stamp,
    rules: MedicationRules,
    dispensed_id: UUID,
    lots: Iterable[str],
) -> None:
    """A dose or take-home marked entered in error gives back to each of its ``lots`` what
    it drew there, from the time it was drawn (nothing, if it was dispensed before draws
    were recorded, or was given back already)."""
    for name in dict.fromkeys(stock.named(lot) for lot in lots if stock.held(lot)):
        record = records(name)
        taken = record.by.get(dispensed_id, [])
        amount = sum((quantity for _, quantity in taken), Decimal(0))
        if amount > 0:
            at = min(when for when, _ in taken)
            _drawn(record, stock, stamp, rules, dispensed_id, at, stock.lots[name], -amount)


def _drawn(
    record: LotDraws,
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    dispensed_id: UUID,
    at: datetime,
    lot: Lot,
    quantity: Decimal,
) -> None:
    record.record(
        stamp.event(
            StockDrawn, record.client_id, at, site=stock.site, day=rules.day_of(at),
            **lot.facts(), dispensed_id=dispensed_id, quantity=quantity,
        )
    )  # fmt: skip
