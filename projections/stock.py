"""The stock view: each site's controlled-substance ledger by lot, and what it was counted at.

One row per movement, signed (``change``): receipts and transfers in add, doses given at the
window, take-home bottles, waste, transfers out and losses reported (a discrepancy's
resolution) take away; so a lot's perpetual inventory is the sum of its rows. Counts add a
row per lot counted (``counted``, ``expected``, no change), discrepancies, and witnesses'
confirmations, so the view is also the continuing record (21 CFR 1304.22(c)) an inspector
exports. Doses come from the
medication context's events by their ``site`` and ``lot`` (a dose without a lot is in no
lot's row: the count shows it short); a dose entered in error adds its amount back in a row
of its own (``dose-in-error``), the dose's row staying, and a take-home entered in error
each of its bottles' (``take-home-in-error``): the dispensing is reversed, as the bottles
went to another client (charted anew, drawing again) or never left; one poured and not put
back is recorded as waste. A receipt or a waste marked entered in error gets a correction
row (``receipt-in-error``, ``waste-in-error``) that moves its amount back, the entry's row
staying; it counts under received or wasted, so the lot's columns still add up. A transfer
marked entered in error gets one at each site (``transfer-out-in-error`` at the site that
sent it, its amount back; ``transfer-in-in-error`` at the one it went to, its amount taken
away), counted under transferred out and in. A witness's
confirmation is a ``witnessed`` row naming what it confirms (``count``, ``waste``,
``receipt-in-error``, ``waste-in-error``: the kind of the row it confirms, by ``ref_id``).
No client is named here.

A lot is one lot in whatever letters it is written, as the site's record takes it
(``SiteStock.named``): each row keeps the lot as its event wrote it and carries its key
(``lot_key``, in small letters), by which the lot's rows are summed and found, under the name
the site first received it by (``_NAMED``). Doses charted before lots were matched in any
letters, and any dose from a lot not received yet, wrote ``lot-12`` for the LOT-12 received:
keyed letter for letter, the view listed lot-12 short by every such dose beside LOT-12 over
by as much, and the count of LOT-12 was refused for doses no count could name. Version 2
derives the key, so an upgraded projector rebuilds the view (``versions.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.medication import (
    DoseAdministered,
    DoseEnteredInError,
    TakeHomeDispensed,
    TakeHomeEnteredInError,
)
from carecoord.events.positioned import Positioned
from carecoord.events.stock import (
    CorrectedEntry,
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
from carecoord.projections.appended import Numbered, Row, append, appended_ddl, columns, copied
from carecoord.projections.generations import columns_added, generation_table
from carecoord.projections.rows import fetch

NAME = "stock"
VERSION = 2
READS = (DoseAdministered, DoseEnteredInError, TakeHomeDispensed, TakeHomeEnteredInError,
         StockReceived, StockTransferredIn, StockTransferredOut, StockWasted, StockCounted,
         StockDiscrepancyFound, StockDiscrepancyResolved, StockEntryWitnessed,
         StockEntryEnteredInError, StockCorrectionWitnessed,
         StockTransferEnteredInError)  # fmt: skip
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""


class Entry(Numbered):
    """A row of a site's ledger, in the order it was recorded."""

    site: str
    lot: str
    kind: str
    change: Decimal
    counted: Decimal | None
    expected: Decimal | None
    medication: str
    strength: str
    dosage_form: str
    unit: str
    dea_schedule: str
    ref_id: UUID
    count_id: UUID | None
    detail: str
    witness_id: str
    day: date
    occurred_at: datetime
    actor_id: str
    lot_key: str
    """The lot in small letters: one lot however its events wrote it (``lot_key``)."""


COLUMNS = columns(Entry)
_LOT = COLUMNS.index("lot")
DRAWN = ("dose", "take-home", "dose-in-error", "take-home-in-error")
"""Kinds of row a dose makes: the perpetual inventory's dispensed side (a dose or take-home
entered in error adds back what it took)."""

table = generation_table(NAME)


ddl = columns_added(
    NAME,
    appended_ddl(
        NAME,
        Entry,
        {
            "lot": "(site, lot_key, position)",
            "day": "(site, day)",
            # The ledger's witness of each row (``_LEDGER``): without it every ledger read
            # scanned the whole table, every site's doses included.
            "witnessed": "(site, ref_id) WHERE kind = 'witnessed'",
        },
    ),
    {"lot_key": "text NOT NULL DEFAULT ''"},  # version 1 had none: its rebuild derives them
)


def lot_key(lot: str) -> str:
    """How the view keys a lot: as the site's record does (``SiteStock.named``)."""
    return lot.lower()


def rows(item: Positioned) -> Iterator[Row]:
    """Each row an event makes, with its lot's key last."""
    for row in _rows(item):
        yield (*row, lot_key(row[_LOT]))


def _rows(item: Positioned) -> Iterator[Row]:
    e = item.event
    zero = Decimal(0)
    if isinstance(e, DoseAdministered | DoseEnteredInError):
        yield from _dose_rows(e)
    elif isinstance(e, TakeHomeDispensed | TakeHomeEnteredInError):
        yield from _take_home_rows(e)
    elif isinstance(e, StockReceived):
        detail = (f"{e.order_form.value} {e.order_form_number}; {e.containers} containers from"
                  f" {e.supplier} ({e.supplier_dea_number})")  # fmt: skip
        yield _lot_row(e, "receipt", e.quantity, e.receipt_id, detail, "")
    elif isinstance(e, StockTransferredIn):
        detail = f"from {e.from_site}{_form(e)}"
        yield _lot_row(e, "transfer-in", e.quantity, e.transfer_id, detail, "")
    elif isinstance(e, StockTransferredOut):
        detail = f"to {e.to_site}{_form(e)}"
        yield _lot_row(e, "transfer-out", -e.quantity, e.transfer_id, detail, "")
    elif isinstance(e, StockWasted):
        detail = f"{e.reason.value}: {e.description}"
        yield _lot_row(e, "waste", -e.quantity, e.waste_id, detail, e.witness_id)
    elif isinstance(e, StockEntryEnteredInError | StockTransferEnteredInError):
        yield _correction_row(e)
    elif isinstance(e, StockCounted):
        occasion = e.occasion.value + (", biennial inventory" if e.biennial else "")
        for line in e.lines:
            yield (e.site, line.lot, "count", zero, line.counted, line.expected, line.medication,
                   "", "", "", "", e.count_id, e.count_id, occasion, e.witness_id, e.day,
                   e.occurred_at, e.actor.id)  # fmt: skip
    elif isinstance(e, StockDiscrepancyFound):
        yield (e.site, e.lot, "discrepancy", zero, e.counted, e.expected, e.medication, "", "",
               "", "", e.alert_id, e.count_id, e.severity.value, "", e.day, e.occurred_at,
               e.actor.id)  # fmt: skip
    elif isinstance(e, StockDiscrepancyResolved):
        yield (e.site, e.lot, "resolved", -e.lost, None, None, "", "", "", "", "", e.alert_id,
               None, f"{e.resolution.value}: {e.note}", "", e.day, e.occurred_at,
               e.actor.id)  # fmt: skip
    elif isinstance(e, StockEntryWitnessed | StockCorrectionWitnessed):
        what = e.entry if isinstance(e, StockEntryWitnessed) else f"{e.entry.value}-in-error"
        yield (e.site, "", "witnessed", zero, None, None, "", "", "", "", "", e.entry_id, None,
               what, "", e.day, e.occurred_at, e.actor.id)  # fmt: skip


def _dose_rows(e: DoseAdministered | DoseEnteredInError) -> Iterator[Row]:
    """A dose takes its amount from its lot; its mark of entered in error gives it back."""
    if not e.lot:
        return
    if isinstance(e, DoseAdministered):
        kind, change, detail, day = "dose", -e.amount, e.replacement_reason, e.day
    else:
        kind, change, day = "dose-in-error", e.amount, e.corrected_on
        detail = f"dose of {e.day} entered in error: {e.reason}"
    yield (e.site, e.lot, kind, change, None, None, e.medication, e.strength, e.dosage_form,
           e.unit, e.dea_schedule, e.dose_id, None, detail, "", day, e.occurred_at,
           e.actor.id)  # fmt: skip


def _take_home_rows(e: TakeHomeDispensed | TakeHomeEnteredInError) -> Iterator[Row]:
    """Each take-home bottle takes its amount from its lot; the take-home's mark of entered
    in error gives each back."""
    for b in e.bottles:
        if isinstance(e, TakeHomeDispensed):
            kind, change, day = "take-home", -b.amount, e.day or e.occurred_at.date()
            detail = f"bottle {b.bottle} for {b.day}"
        else:
            kind, change, day = "take-home-in-error", b.amount, e.corrected_on
            detail = f"bottle {b.bottle} for {b.day} entered in error: {e.reason}"
        yield (e.site, b.lot, kind, change, None, None, e.medication, e.strength,
               e.dosage_form, e.unit, e.dea_schedule, e.dispense_id, None, detail, "", day,
               e.occurred_at, e.actor.id)  # fmt: skip


def _correction_row(e: StockEntryEnteredInError | StockTransferEnteredInError) -> Row:
    """A mark of entered in error moves its entry's amount back: a receipt's or a transfer
    in's out of the lot, a waste's or a transfer out's into it."""
    if isinstance(e, StockEntryEnteredInError):
        back = -e.quantity if e.entry is CorrectedEntry.RECEIPT else e.quantity
        detail = f"{e.entry.value} of {e.entry_day} entered in error: {e.reason}"
        return _lot_row(e, f"{e.entry.value}-in-error", back, e.entry_id, detail, e.witness_id)
    back = e.quantity if e.side is TransferSide.OUT else -e.quantity
    other = f"to {e.other_site}" if e.side is TransferSide.OUT else f"from {e.other_site}"
    detail = f"transfer {other} of {e.transfer_day} entered in error: {e.reason}"
    return _lot_row(e, f"transfer-{e.side.value}-in-error", back, e.transfer_id, detail, "")


def _form(e: StockTransferredIn | StockTransferredOut) -> str:
    """The order form a transfer names, when it names one."""
    if e.order_form is None or not e.order_form_number:
        return ""
    return f" ({e.order_form.value} {e.order_form_number})"


def _lot_row(
    e: StockReceived
    | StockTransferredIn
    | StockTransferredOut
    | StockWasted
    | StockEntryEnteredInError
    | StockTransferEnteredInError,
    kind: str,
    change: Decimal,
    ref_id: UUID,
    detail: str,
    witness_id: str,
) -> Row:
    return (e.site, e.lot, kind, change, None, None, e.medication, e.strength, e.dosage_form,
            e.unit, e.dea_schedule, ref_id, None, detail, witness_id, e.day, e.occurred_at,
            e.actor.id)  # fmt: skip


COPIED = copied(COLUMNS, rows)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    await append(conn, table(generation), COLUMNS, batch, rows)


# --- queries -------------------------------------------------------------------------------


_NAMED = sql.SQL("""named AS (
    SELECT DISTINCT ON (lot_key) lot_key, lot FROM {stock}
    WHERE site = %(site)s AND kind <> 'witnessed'
    ORDER BY lot_key, kind NOT IN ('receipt', 'transfer-in'), position)""").format(
    stock=sql.Identifier(NAME)
)
"""Each lot's name at the site: as its first receipt or transfer in wrote it, as the site's
record names it; a lot never received, as it was first written."""
_TABLES = {"stock": sql.Identifier(NAME), "named": _NAMED}
"""What a query of the view names: its table, and ``named`` (``_NAMED``) to begin with."""


async def dispensed(
    pool: AsyncConnectionPool, site: str, *, through: int, at: datetime
) -> dict[str, Decimal]:
    """What doses drew from each of ``site``'s lots (by the site's name for it): those
    recorded through store position ``through`` and given or handed over by ``at``."""
    query = sql.SQL(
        "WITH {named} SELECT n.lot, -sum(s.change) AS amount FROM {stock} s"
        " JOIN named n USING (lot_key) WHERE s.site = %(site)s AND s.kind = ANY(%(drawn)s)"
        " AND s.position <= %(through)s AND s.occurred_at <= %(at)s GROUP BY n.lot"
    ).format(**_TABLES)
    params = {"site": site, "drawn": list(DRAWN), "through": through, "at": at}
    found = await fetch(pool, _Drawn, query, params)
    return {r["lot"]: r["amount"] for r in found}


class _Drawn(TypedDict):
    lot: str
    amount: Decimal


async def drawn_since(
    pool: AsyncConnectionPool, site: str, *, through: int, after: datetime
) -> dict[str, list[tuple[datetime, Decimal]]]:
    """What doses drew from each of ``site``'s lots (by the site's name for it) after
    ``after`` (recorded through store position ``through``), moment by moment: what an
    entry dated back is checked against."""
    query = sql.SQL(
        "WITH {named} SELECT n.lot, s.occurred_at, -sum(s.change) AS amount"
        " FROM {stock} s JOIN named n USING (lot_key) WHERE s.site = %(site)s"
        " AND s.kind = ANY(%(drawn)s) AND s.position <= %(through)s"
        " AND s.occurred_at > %(at)s GROUP BY n.lot, s.occurred_at ORDER BY s.occurred_at"
    ).format(**_TABLES)
    params = {"site": site, "drawn": list(DRAWN), "through": through, "at": after}
    found = await fetch(pool, _DrawnAt, query, params)
    since: dict[str, list[tuple[datetime, Decimal]]] = {}
    for r in found:
        since.setdefault(r["lot"], []).append((r["occurred_at"], r["amount"]))
    return since


class _DrawnAt(_Drawn):
    occurred_at: datetime


async def entry_time(
    pool: AsyncConnectionPool, site: str, entry_id: UUID, kinds: Sequence[str]
) -> datetime | None:
    """When the site's entry ``entry_id`` of one of ``kinds`` happened (a receipt or a waste;
    a discrepancy: the count that found it); None: the view has none."""
    query = sql.SQL(
        "SELECT occurred_at FROM {} WHERE site = %s AND ref_id = %s AND kind = ANY(%s)"
    ).format(sql.Identifier(NAME))
    found = await fetch(pool, _EntryTime, query, [site, entry_id, list(kinds)])
    return found[0]["occurred_at"] if found else None


class _EntryTime(TypedDict):
    occurred_at: datetime


class OnHand(TypedDict):
    """One lot's perpetual inventory at a site, by kind of movement, and its last count."""

    lot: str
    medication: str
    strength: str
    dosage_form: str
    unit: str
    dea_schedule: str
    received: Decimal
    transferred_in: Decimal
    transferred_out: Decimal
    wasted: Decimal
    lost: Decimal
    dispensed: Decimal
    on_hand: Decimal
    last_counted: Decimal | None
    last_counted_at: datetime | None


_ON_HAND = """
WITH moves AS (
    SELECT lot_key, kind, change, medication, strength, dosage_form, unit, dea_schedule,
           position
    FROM {stock} WHERE site = %(site)s AND kind NOT IN ('count', 'discrepancy', 'witnessed')
      AND (%(after)s::text IS NULL OR lot_key > %(after)s)),
lots AS (
    SELECT DISTINCT ON (lot_key) lot_key, medication, strength, dosage_form, unit,
           dea_schedule
    FROM moves WHERE kind IN ('receipt', 'transfer-in') ORDER BY lot_key, position),
counted AS (
    SELECT DISTINCT ON (lot_key) lot_key, counted, occurred_at
    FROM {stock} WHERE site = %(site)s AND kind = 'count' ORDER BY lot_key, position DESC),
{named}
SELECT n.lot,
       coalesce(l.medication, min(m.medication)) AS medication,
       coalesce(l.strength, min(m.strength)) AS strength,
       coalesce(l.dosage_form, min(m.dosage_form)) AS dosage_form,
       coalesce(l.unit, min(m.unit)) AS unit,
       coalesce(l.dea_schedule, min(m.dea_schedule)) AS dea_schedule,
       coalesce(sum(m.change) FILTER (WHERE m.kind IN ('receipt', 'receipt-in-error')), 0)
         AS received,
       coalesce(sum(m.change) FILTER (WHERE m.kind IN ('transfer-in', 'transfer-in-in-error')),
         0) AS transferred_in,
       coalesce(-sum(m.change) FILTER (WHERE m.kind IN ('transfer-out',
         'transfer-out-in-error')), 0) AS transferred_out,
       coalesce(-sum(m.change) FILTER (WHERE m.kind IN ('waste', 'waste-in-error')), 0)
         AS wasted,
       coalesce(-sum(m.change) FILTER (WHERE m.kind = 'resolved'), 0) AS lost,
       coalesce(-sum(m.change) FILTER (WHERE m.kind = ANY(%(drawn)s)), 0) AS dispensed,
       sum(m.change) AS on_hand,
       c.counted AS last_counted, c.occurred_at AS last_counted_at
FROM moves m JOIN named n USING (lot_key) LEFT JOIN lots l USING (lot_key)
  LEFT JOIN counted c USING (lot_key)
GROUP BY m.lot_key, n.lot, l.medication, l.strength, l.dosage_form, l.unit, l.dea_schedule,
         c.counted, c.occurred_at
ORDER BY m.lot_key
LIMIT %(limit)s
"""


async def on_hand(
    pool: AsyncConnectionPool, site: str, *, after: str | None = None, limit: int | None = None
) -> list[OnHand]:
    """The lots the site's ledger names (received, or drawn on without a receipt), with
    what each holds by the perpetual inventory now, in the order of their names: the first
    ``limit`` (all when None) after the lot ``after``."""
    query = sql.SQL(_ON_HAND).format(**_TABLES)
    key = None if after is None else lot_key(after)
    params = {"site": site, "drawn": list(DRAWN), "after": key, "limit": limit}
    return await fetch(pool, OnHand, query, params)


class Held(TypedDict):
    """What a site holds of one medication and form, over all its lots."""

    medication: str
    strength: str
    dosage_form: str
    unit: str
    on_hand: Decimal


async def held(pool: AsyncConnectionPool, site: str) -> list[Held]:
    """What the site holds of each medication and form, summed over every lot (not those
    of one page of them)."""
    query = sql.SQL(
        "SELECT medication, strength, dosage_form, unit, sum(on_hand) AS on_hand"
        " FROM ({lots}) l GROUP BY medication, strength, dosage_form, unit"
        " ORDER BY medication, strength, dosage_form, unit"
    ).format(lots=sql.SQL(_ON_HAND.strip()).format(**_TABLES))
    params = {"site": site, "drawn": list(DRAWN), "after": None, "limit": None}
    return await fetch(pool, Held, query, params)


class Witnessed(Entry):
    """A row and when its witness confirmed it (None: not yet, or it names no witness)."""

    witnessed_at: datetime | None


_LEDGER = """
SELECT s.*, w.occurred_at AS witnessed_at
FROM {stock} s LEFT JOIN {stock} w
  ON w.site = s.site AND w.kind = 'witnessed' AND w.ref_id = s.ref_id AND w.detail = s.kind
WHERE s.site = %(site)s AND s.day BETWEEN %(from)s AND %(to)s
  AND (%(lot)s::text IS NULL OR s.lot_key = %(lot)s)
  AND (%(position)s::bigint IS NULL OR (s.position, s.seq) > (%(position)s, %(seq)s::integer))
ORDER BY s.position, s.seq
LIMIT %(limit)s
"""
LEDGER_ORDER = ("position", "seq")
"""The ledger's order: as recorded; no two rows share a place in it."""


async def ledger(
    pool: AsyncConnectionPool,
    site: str,
    from_day: date,
    to_day: date,
    lot: str | None = None,
    *,
    after: tuple[int, int] | None = None,
    limit: int | None = None,
) -> list[Witnessed]:
    """The site's rows on the site's days ``from_day`` to ``to_day`` (of ``lot``, or all),
    in the order recorded, each with when it was witnessed; the first ``limit`` (all when
    None) of those after the place ``after`` (of ``LEDGER_ORDER``)."""
    query = sql.SQL(_LEDGER).format(stock=sql.Identifier(NAME))
    position, seq = after or (None, None)
    key = None if lot is None else lot_key(lot)
    params = {"site": site, "from": from_day, "to": to_day, "lot": key}
    params |= {"position": position, "seq": seq, "limit": limit}
    return await fetch(pool, Witnessed, query, params)


class Counted(TypedDict):
    """A lot as a count found it, who counted and who witnessed it (None: not yet)."""

    count_id: UUID
    occasion: str
    lot: str
    medication: str
    strength: str
    dosage_form: str
    unit: str
    counted: Decimal
    expected: Decimal
    day: date
    occurred_at: datetime
    counted_by: str
    witness_id: str
    witnessed_at: datetime | None
    position: int
    seq: int


_COUNTS = """
WITH lots AS (
    SELECT DISTINCT ON (lot_key) lot_key, strength, dosage_form, unit FROM {stock}
    WHERE site = %(site)s AND kind IN ('receipt', 'transfer-in') ORDER BY lot_key, position)
SELECT c.ref_id AS count_id, c.detail AS occasion, c.lot, c.medication,
       coalesce(l.strength, '') AS strength, coalesce(l.dosage_form, '') AS dosage_form,
       coalesce(l.unit, '') AS unit, c.counted, c.expected, c.day, c.occurred_at,
       c.actor_id AS counted_by, c.witness_id, w.occurred_at AS witnessed_at, c.position, c.seq
FROM {stock} c LEFT JOIN lots l ON l.lot_key = c.lot_key LEFT JOIN {stock} w
  ON w.site = c.site AND w.kind = 'witnessed' AND w.ref_id = c.ref_id
WHERE c.site = %(site)s AND c.kind = 'count' AND c.day BETWEEN %(from)s AND %(to)s
  AND (%(count)s::uuid IS NULL OR c.ref_id = %(count)s)
  AND (NOT %(biennial)s OR c.detail LIKE '%%biennial%%')
  AND (%(position)s::bigint IS NULL OR (c.position, c.seq) > (%(position)s, %(seq)s::integer))
ORDER BY c.position, c.seq
LIMIT %(limit)s
"""
COUNT_ORDER = ("position", "seq")
"""The lots counted in the order counted: no two share a place in it."""


async def counts(
    pool: AsyncConnectionPool,
    site: str,
    from_day: date,
    to_day: date,
    *,
    count_id: UUID | None = None,
    biennial: bool = False,
    after: tuple[int, int] | None = None,
    limit: int | None = None,
) -> list[Counted]:
    """The lots counted at the site on days ``from_day`` to ``to_day`` (of one count, or of
    biennial inventories only), in the order counted; the first ``limit`` (all when None)
    of those after the place ``after`` (of ``COUNT_ORDER``)."""
    query = sql.SQL(_COUNTS).format(stock=sql.Identifier(NAME))
    position, seq = after or (None, None)
    params = {"site": site, "from": from_day, "to": to_day, "count": count_id,
              "biennial": biennial, "position": position, "seq": seq,
              "limit": limit}  # fmt: skip
    return await fetch(pool, Counted, query, params)


class Found(TypedDict):
    """A discrepancy a count raised, and its resolution once recorded."""

    alert_id: UUID
    count_id: UUID
    lot: str
    medication: str
    counted: Decimal
    expected: Decimal
    severity: str
    day: date
    occurred_at: datetime
    counted_by: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


_DISCREPANCIES = """
SELECT d.ref_id AS alert_id, d.count_id, d.lot, d.medication, d.counted, d.expected,
       d.detail AS severity, d.day,
       d.occurred_at, d.actor_id AS counted_by, r.detail AS resolution,
       r.actor_id AS resolved_by, r.occurred_at AS resolved_at
FROM {stock} d LEFT JOIN {stock} r
  ON r.site = d.site AND r.kind = 'resolved' AND r.ref_id = d.ref_id
WHERE d.site = %(site)s AND d.kind = 'discrepancy' AND (NOT %(open)s OR r.ref_id IS NULL)
  AND (%(from)s::date IS NULL OR d.day >= %(from)s)
  AND (%(to)s::date IS NULL OR d.day <= %(to)s)
ORDER BY d.position, d.seq
LIMIT %(limit)s
"""


async def discrepancies(
    pool: AsyncConnectionPool,
    site: str,
    *,
    open_only: bool,
    from_day: date | None = None,
    to_day: date | None = None,
    limit: int | None = None,
) -> list[Found]:
    """The discrepancies counts at the site raised (those not yet resolved, or all) on the
    site's days ``from_day`` to ``to_day`` (each bound optional), in the order raised; the
    first ``limit`` (all when None)."""
    query = sql.SQL(_DISCREPANCIES).format(stock=sql.Identifier(NAME))
    params = {"site": site, "open": open_only, "from": from_day, "to": to_day, "limit": limit}
    return await fetch(pool, Found, query, params)
