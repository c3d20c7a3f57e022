"""The DEA dispensing log of a narcotic treatment program (21 CFR 1304.24).

For each dispensing: name of substance, strength, dosage form, date dispensed, the
client (by id: identity stays behind 42 CFR Part 2), amount consumed, amount and dosage
form taken home, and the dispenser. Append-only, one row per dispensing event; exported
as CSV or JSON through the API. A dose entered in error keeps its row and gets a correction
row of its own, dated the day it was marked, its amount consumed negative; a take-home
entered in error likewise, its amount taken home negative (the hand-over reversed, whether
the bottles went to another client, who is charted with them anew, or never left).
Take-home bottles the client brought back get a line each, dated the day they came back:
the bottle, its take-home and day, its lot, what was left in it (``amount_returned``,
destroyed on site), who recorded it and the witness of the count and the destruction. The
hand-over's line stays: the doses were dispensed, and those left came back. When the
witness confirms the return under their own credentials, a row of the confirmation is added
(``witnessed_at`` set, the return in ``ref_id``): no line of the log, it is read as the
``witnessed_at`` of the return's lines (nothing is edited in place).
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
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.appended import (
    KEY,
    Numbered,
    Row,
    append,
    appended_ddl,
    columns,
    copied,
)
from carecoord.projections.generations import generation_table
from carecoord.projections.readers_clients import ReadersClients
from carecoord.projections.rows import fetch

NAME = "dispensing_log"
VERSION = 3
"""Version 2: a line per take-home bottle returned and destroyed (``TakeHomeReturned``).
3: when its witness confirmed the return (``TakeHomeReturnWitnessed``, ``witnessed_at``)."""
READS = (
    DoseAdministered,
    DoseEnteredInError,
    TakeHomeDispensed,
    TakeHomeEnteredInError,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
)
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""


class Dispensed(Numbered):
    """One line of the log."""

    client_id: UUID
    dispensed_on: date
    dispensed_at: datetime
    substance: str
    strength: str
    dosage_form: str
    dea_schedule: str
    amount_consumed: Decimal | None
    amount_taken_home: Decimal | None
    amount_returned: Decimal | None
    """What was left in a bottle brought back, destroyed before ``witness``."""
    take_home_form: str | None
    unit: str
    dispenser: str
    witness: str
    """The staff member who witnessed a return's count and destruction; empty otherwise."""
    witnessed_at: datetime | None
    """When that witness confirmed it under their own credentials; None: not yet (or no
    return). Stored only on the confirmation's row, read onto the return's lines."""
    lots: str
    ref_id: UUID
    note: str


COLUMNS = columns(Dispensed)


table = generation_table(NAME)


ddl = appended_ddl(
    NAME,
    Dispensed,
    {"day": "(dispensed_on, position)", "witnessed": "(ref_id) WHERE witnessed_at IS NOT NULL"},
)


def rows(item: Positioned) -> Iterator[Row]:
    e = item.event
    if isinstance(e, DoseAdministered):
        note = (
            f"replaces {e.replaces_dose_id}: {e.replacement_reason}" if e.replaces_dose_id else ""
        )
        yield (e.client_id, e.day, e.occurred_at, e.medication, e.strength, e.dosage_form,
               e.dea_schedule, e.amount, None, None, None, e.unit, e.actor.id, "", None,
               e.lot, e.dose_id, note)  # fmt: skip
    elif isinstance(e, DoseEnteredInError):
        note = f"entered in error: corrects dose {e.dose_id} of {e.day}: {e.reason}"
        yield (e.client_id, e.corrected_on, e.occurred_at, e.medication, e.strength,
               e.dosage_form, e.dea_schedule, -e.amount, None, None, None, e.unit, e.actor.id,
               "", None, e.lot, e.dose_id, note)  # fmt: skip
    elif isinstance(e, TakeHomeDispensed):
        note = f"{e.dose_count} bottles for {e.days_covered} days"
        day = e.day or e.occurred_at.date()  # the program's day; UTC's in older events
        yield _take_home_row(e, day, e.total_amount, note)
    elif isinstance(e, TakeHomeEnteredInError):
        note = (
            f"entered in error: corrects take-home {e.dispense_id} of {e.handed_over_on}"
            f" ({e.dose_count} bottles for {e.days_covered} days): {e.reason}"
        )
        yield _take_home_row(e, e.corrected_on, -e.total_amount, note)
    elif isinstance(e, TakeHomeReturned):
        yield from _returned_rows(e)
    elif isinstance(e, TakeHomeReturnWitnessed):
        yield (e.client_id, e.occurred_at.date(), e.occurred_at, e.medication, "", "", "", None,
               None, None, None, e.unit, e.actor.id, e.actor.id, e.occurred_at, "",
               e.return_id, "witnessed")  # fmt: skip


def _take_home_row(
    e: TakeHomeDispensed | TakeHomeEnteredInError, day: date, amount: Decimal, note: str
) -> Row:
    """A hand-over's line, or its correction's: the amount taken home, by lot."""
    lots = ", ".join(sorted({b.lot for b in e.bottles}))
    return (e.client_id, day, e.occurred_at, e.medication, e.strength, e.dosage_form,
            e.dea_schedule, None, amount, None, e.dosage_form, e.unit, e.actor.id, "", None,
            lots, e.dispense_id, note)  # fmt: skip


def _returned_rows(e: TakeHomeReturned) -> Iterator[Row]:
    """A line per bottle brought back: what was left in it, destroyed before the witness."""
    for b in e.bottles:
        state = "untouched" if b.full else "empty" if b.amount == 0 else "in part"
        note = (
            f"returned {state} and destroyed: bottle {b.bottle} of take-home {b.dispense_id}"
            f" for {b.day} slot {b.slot}"
        )
        yield (e.client_id, e.day, e.occurred_at, e.medication, e.strength, e.dosage_form,
               e.dea_schedule, None, None, b.amount, e.dosage_form, e.unit, e.actor.id,
               e.witness_id, None, b.lot, e.return_id, note)  # fmt: skip


COPIED = copied(COLUMNS, rows)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    await append(conn, table(generation), COLUMNS, batch, rows)


ORDER = ("dispensed_on", "position", "seq")
"""The log's order: by day, then as recorded; no two lines share a place in it."""


async def between_days(
    pool: AsyncConnectionPool,
    from_day: date,
    to_day: date,
    *,
    controlled_only: bool,
    clients: ReadersClients,
    after: tuple[date, int, int] | None = None,
    limit: int | None = None,
) -> list[Dispensed]:
    """The lines of ``clients`` dispensed on ``from_day`` to ``to_day`` (both included), by
    day and then in log order; with ``controlled_only``, scheduled substances alone; the
    first ``limit`` (all when None) of those after the place ``after`` (of ``ORDER``). A
    return's lines read when its witness confirmed it, from the confirmation's row."""
    theirs, shown = clients.where()
    query = sql.SQL(
        "SELECT {stored}, (SELECT max(w.witnessed_at) FROM {table} w WHERE w.ref_id = l.ref_id"
        " AND w.witnessed_at IS NOT NULL) AS witnessed_at FROM {table} l"
        " WHERE l.witnessed_at IS NULL AND dispensed_on BETWEEN %s AND %s"
        " AND (NOT %s OR dea_schedule <> '') AND {theirs} AND (%s::date IS NULL"
        " OR ({order}) > (%s::date, %s::bigint, %s::integer)) ORDER BY {order} LIMIT %s"
    ).format(
        stored=sql.SQL(", ").join(
            sql.Identifier("l", c) for c in (*KEY, *COLUMNS) if c != "witnessed_at"
        ),
        table=sql.Identifier(NAME),
        theirs=theirs,
        order=sql.SQL(", ").join(map(sql.Identifier, ORDER)),
    )
    place = after or (None, None, None)
    params = [from_day, to_day, controlled_only, *shown, place[0], *place, limit]
    return await fetch(pool, Dispensed, query, params)
