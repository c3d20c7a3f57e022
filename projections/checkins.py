"""Check-in series: one row per measure per report, for trends per instrument and craving.

Rows carry the event's kind so a query filters them with the reader's grant exactly as the
timeline does. An instrument gives a row for its total and one per subscale; the band sits
on the score it reads (the total, or BAM's use subscale), and ``prorated`` on a total made up
for unanswered items (a PHQ-9 with one or two left out).

A check-in or instrument entered in error gets a correction row beside its readings, nothing
edited in place: measure ``entered-in-error``, ``event_id`` the event that recorded the entry.
The series answers the readings alone, each marked ``entered_in_error`` when such a row names
its event, whoever may see the correction itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.checkins import (
    CheckInEnteredInError,
    CheckInRecorded,
    Entry,
    InstrumentScored,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import Copied, generation_ddl, generation_table
from carecoord.projections.rows import Shown, fetch

NAME = "checkin_series"
VERSION = 3
"""Version 3: ``prorated``."""
READS = (CheckInRecorded, InstrumentScored, CheckInEnteredInError)
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""

COLUMNS = ("position", "measure", "client_id", "event_id", "kind", "actor_id", "source",
           "value", "band", "prorated", "occurred_at")  # fmt: skip
Point = tuple[str, Decimal, str, bool]
IN_ERROR = "entered-in-error"
"""The measure of a correction row."""
IN_SERIES = frozenset({Entry.CHECK_IN, Entry.INSTRUMENT})
"""The entries with readings in the series."""


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "position bigint NOT NULL, measure text NOT NULL, client_id uuid NOT NULL,"
    " event_id uuid NOT NULL, kind text NOT NULL, actor_id text NOT NULL, source text NOT NULL,"
    " value numeric NOT NULL, band text NOT NULL, prorated boolean NOT NULL,"
    " occurred_at timestamptz NOT NULL,"
    " PRIMARY KEY (position, measure)",
    {"client": "(client_id, measure, occurred_at)"},
)


CHECK_IN_MEASURES = ("craving", "mood", "sleep_hours", "sleep_quality")
"""The measures of a check-in, named as its fields; an instrument's are its name (its total)
and its name and a subscale's (``BAM use``)."""


def points(event: CheckInRecorded | InstrumentScored) -> Iterator[Point]:
    if isinstance(event, CheckInRecorded):
        for measure in CHECK_IN_MEASURES:
            value = getattr(event, measure)
            if value is not None:
                yield measure, Decimal(value), "", False
        return
    name = event.instrument.value
    if event.total is not None:
        band = event.band if event.banded_on == "total" else ""
        yield name, Decimal(event.total), band, bool(event.unanswered)
    for sub, value in event.subscales.items():
        yield f"{name} {sub}", Decimal(value), event.band if event.banded_on == sub else "", False


def rows(item: Positioned) -> Iterator[tuple[Any, ...]]:
    event = item.event
    if isinstance(event, CheckInRecorded | InstrumentScored):
        for measure, value, band, prorated in points(event):
            yield (item.position, measure, event.client_id, event.event_id, event.kind.value,
                   event.actor.id, event.source.value, value, band, prorated,
                   event.occurred_at)  # fmt: skip
    elif isinstance(event, CheckInEnteredInError) and event.entry in IN_SERIES:
        # ``source`` and ``value`` say nothing of a correction, and it is never answered.
        yield (item.position, IN_ERROR, event.client_id, event.entry_event_id,
               event.kind.value, event.actor.id, event.actor.role.value, Decimal(0), "", False,
               event.occurred_at)  # fmt: skip


COPIED = Copied(COLUMNS, lambda batch: [row for item in batch for row in rows(item)])


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    values = [row for item in batch for row in rows(item)]
    if values:
        async with conn.cursor() as cur:
            await cur.executemany(
                sql.SQL(
                    "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (position, measure) DO NOTHING"
                ).format(
                    table(generation),
                    sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                    sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
                ),
                values,
            )


class Measured(TypedDict):
    """One measure of one report."""

    position: int
    measure: str
    client_id: UUID
    event_id: UUID
    kind: str
    actor_id: str
    source: str
    value: Decimal
    band: str
    prorated: bool
    occurred_at: datetime
    entered_in_error: bool


async def client_series(
    pool: AsyncConnectionPool,
    client_id: UUID,
    shown: Shown,
    measures: Sequence[str] = (),
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    limit: int | None = None,
) -> list[Measured]:
    """A client's measures (all, or ``measures``) those ``shown`` allows, each measure's
    points in the order they occurred (from ``occurred_from``, before ``occurred_to``), those
    of an entry in error marked; the first ``limit`` (all when None)."""
    readable, params = shown.where()
    where = [sql.SQL("client_id = %s"), sql.SQL("measure <> %s"), readable]
    values: list[Any] = [client_id, IN_ERROR, *params]
    if measures:
        where.append(sql.SQL("measure = ANY(%s)"))
        values.append(list(measures))
    if occurred_from is not None:
        where.append(sql.SQL("occurred_at >= %s"))
        values.append(occurred_from)
    if occurred_to is not None:
        where.append(sql.SQL("occurred_at < %s"))
        values.append(occurred_to)
    query = sql.SQL(
        "SELECT p.*, EXISTS (SELECT 1 FROM {view} c WHERE c.client_id = p.client_id"
        " AND c.measure = %s AND c.event_id = p.event_id) AS entered_in_error"
        " FROM (SELECT * FROM {view} WHERE {where}) p ORDER BY measure, occurred_at, position"
        " LIMIT %s"
    ).format(view=sql.Identifier(NAME), where=sql.SQL(" AND ").join(where))
    values = [IN_ERROR, *values, limit]
    return await fetch(pool, Measured, query, values)
