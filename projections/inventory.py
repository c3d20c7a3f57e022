"""The per-lot inventory ledger: every amount that left stock, by lot and bottle.

Observed doses draw from the lot of the bulk bottle at the window; each take-home bottle
is its own entry, with the client it went to. A dose entered in error returns its amount
to its lot in an entry of its own (kind ``in-error``, negative), and a take-home entered in
error each of its bottles' (kind ``take-home-in-error``, negative): the dispensing reversed,
as the bottles went to another client (charted anew) or never left. A site's receipts, counts,
waste and transfers, and the reconciliation of counts against them, are the stock view's
(``stock.py``), which names no client. A lot is one lot in whatever letters its entries wrote
it, keyed as the stock view keys it (``stock.lot_key``): a dose charted as ``lot-12`` before
LOT-12 was received, or before lots were matched in any letters, was a lot of its own here,
left out of LOT-12's ledger. Version 2 derives the key, so an upgraded projector rebuilds
the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
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
from carecoord.projections.appended import Numbered, Row, append, appended_ddl, columns, copied
from carecoord.projections.generations import columns_added, generation_table
from carecoord.projections.readers_clients import ReadersClients
from carecoord.projections.rows import fetch
from carecoord.projections.stock import lot_key

NAME = "inventory"
VERSION = 2
READS = (DoseAdministered, DoseEnteredInError, TakeHomeDispensed, TakeHomeEnteredInError)
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""


class Drawn(Numbered):
    """An amount that left stock from one bottle of one lot."""

    lot: str
    bottle: str
    medication: str
    strength: str
    dosage_form: str
    kind: str
    amount: Decimal
    unit: str
    client_id: UUID
    day: date
    occurred_at: datetime
    actor_id: str
    lot_key: str
    """The lot in small letters, as the stock view keys it (``stock.lot_key``)."""


COLUMNS = columns(Drawn)
SHOWN = COLUMNS[: COLUMNS.index("lot_key")]
"""The columns an entry is shown with: its key is how it is found, not what it says."""


table = generation_table(NAME)


ddl = columns_added(
    NAME,
    appended_ddl(NAME, Drawn, {"lot": "(lot_key, position)"}),
    {"lot_key": "text NOT NULL DEFAULT ''"},  # version 1 had none: its rebuild derives them
)


def rows(item: Positioned) -> Iterator[Row]:
    """Each amount an event takes from a lot or gives back, with the lot's key last."""
    for row in _rows(item):
        yield (*row, lot_key(row[0]))


def _rows(item: Positioned) -> Iterator[Row]:
    e = item.event
    if isinstance(e, DoseAdministered) and e.lot:
        kind = "observed" if e.replaces_dose_id is None else "replacement"
        yield (e.lot, e.bottle, e.medication, e.strength, e.dosage_form, kind, e.amount, e.unit,
               e.client_id, e.day, e.occurred_at, e.actor.id)  # fmt: skip
    elif isinstance(e, DoseEnteredInError) and e.lot:
        yield (e.lot, e.bottle, e.medication, e.strength, e.dosage_form, "in-error", -e.amount,
               e.unit, e.client_id, e.corrected_on, e.occurred_at, e.actor.id)  # fmt: skip
    elif isinstance(e, TakeHomeDispensed):
        for b in e.bottles:
            yield (b.lot, b.bottle, e.medication, e.strength, e.dosage_form, "take-home",
                   b.amount, e.unit, e.client_id, b.day, e.occurred_at, e.actor.id)  # fmt: skip
    elif isinstance(e, TakeHomeEnteredInError):
        for b in e.bottles:
            yield (b.lot, b.bottle, e.medication, e.strength, e.dosage_form,
                   "take-home-in-error", -b.amount, e.unit, e.client_id, e.corrected_on,
                   e.occurred_at, e.actor.id)  # fmt: skip


COPIED = copied(COLUMNS, rows)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    await append(conn, table(generation), COLUMNS, batch, rows)


ORDER = ("lot_key", "position", "seq")
"""The ledger's order: by lot (in any letters), then as recorded; no two rows share a place
in it."""


async def ledger(
    pool: AsyncConnectionPool,
    lot: str | None,
    zone: str,
    from_day: date,
    to_day: date,
    *,
    clients: ReadersClients,
    after: tuple[str, int, int] | None = None,
    limit: int | None = None,
) -> list[Drawn]:
    """What left stock for ``clients`` (from ``lot``, in whatever letters, or from every
    lot) on the days ``from_day`` to ``to_day`` (both included) in time zone ``zone``, by lot
    and then in log order: the day it left, not a take-home bottle's day, which may be a
    later one; the first ``limit`` (all when None) of those after the place ``after`` (of
    ``ORDER``)."""
    theirs, shown = clients.where()
    query = sql.SQL(
        "SELECT * FROM {table} WHERE (%s::text IS NULL OR lot_key = %s)"
        " AND (occurred_at AT TIME ZONE %s)::date BETWEEN %s AND %s AND {theirs}"
        " AND (%s::text IS NULL OR ({order}) > (%s::text, %s::bigint, %s::integer))"
        " ORDER BY {order} LIMIT %s"
    ).format(
        table=sql.Identifier(NAME),
        theirs=theirs,
        order=sql.SQL(", ").join(map(sql.Identifier, ORDER)),
    )
    key = None if lot is None else lot_key(lot)
    place = after or (None, None, None)
    params = [key, key, zone, from_day, to_day, *shown, place[0], *place, limit]
    return await fetch(pool, Drawn, query, params)
