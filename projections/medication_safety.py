"""The medication safety log: every refused hard stop and every acknowledged override.

One row per ``HardStopRefused`` or ``OverrideAcknowledged``: who, when, which rule and
version, what was attempted (the step, medication, dose, start) and the exposure the rule
counted. A prescriber reads a client's rows; a safety review or an inspector exports the
program's for a period (``graphql/medication_views.py``). Append-only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.medication import HardStopRefused, OverrideAcknowledged
from carecoord.events.positioned import Positioned
from carecoord.projections.appended import Numbered, Row, append, appended_ddl, columns, copied
from carecoord.projections.generations import generation_table
from carecoord.projections.readers_clients import ReadersClients
from carecoord.projections.rows import fetch, in_period

NAME = "medication_safety"
VERSION = 1
READS = (HardStopRefused, OverrideAcknowledged)
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""


class Entry(Numbered):
    client_id: UUID
    kind: str
    ref_id: UUID
    rule_id: str
    rule_version: str
    severity: str
    action: str
    medication: str
    dose: Decimal | None
    unit: str
    start: date | None
    order_id: UUID | None
    detail: str
    exposure: str
    occurred_at: datetime
    actor_id: str
    actor_role: str


COLUMNS = columns(Entry)
REFUSED, OVERRIDE = "hard-stop-refused", "override"


table = generation_table(NAME)


ddl = appended_ddl(NAME, Entry, {"client": "(client_id, position)", "when": "(occurred_at)"})


def rows(item: Positioned) -> Iterator[Row]:
    e = item.event
    if isinstance(e, HardStopRefused | OverrideAcknowledged):
        a = e.attempted
        if isinstance(e, HardStopRefused):
            kind, ref_id, order_id, detail = REFUSED, e.refusal_id, a.prior_order_id, e.message
        else:
            kind, ref_id, order_id, detail = OVERRIDE, e.override_id, e.order_id, e.reason
        exposure = e.exposure.describe() if e.exposure else ""
        yield (e.client_id, kind, ref_id, e.rule_id, e.rule_version, e.severity.value,
               a.action, a.medication, a.dose, a.unit, a.start, order_id, detail, exposure,
               e.occurred_at, e.actor.id, e.actor.role.value)  # fmt: skip


COPIED = copied(COLUMNS, rows)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    await append(conn, table(generation), COLUMNS, batch, rows)


async def of_client(
    pool: AsyncConnectionPool,
    client_id: UUID,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """A client's entries in log order (those that occurred from ``occurred_from``, before
    ``occurred_to``); the first ``limit`` (all when None)."""
    period, bounds = in_period("occurred_at", occurred_from, occurred_to)
    query = sql.SQL(
        "SELECT * FROM {} WHERE client_id = %s AND {} ORDER BY position, seq LIMIT %s"
    ).format(sql.Identifier(NAME), period)
    return await fetch(pool, Entry, query, [client_id, *bounds, limit])


ORDER = ("occurred_at", "position", "seq")
"""The log's order: as the entries occurred, then as recorded; no two share a place in it."""


async def between_days(
    pool: AsyncConnectionPool,
    zone: str,
    from_day: date,
    to_day: date,
    *,
    clients: ReadersClients,
    after: tuple[datetime, int, int] | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """The entries of ``clients`` that occurred on the days ``from_day`` to ``to_day`` (both
    included) in time zone ``zone``, in the order they occurred; the first ``limit`` (all
    when None) of those after the place ``after`` (of ``ORDER``)."""
    theirs, shown = clients.where()
    query = sql.SQL(
        "SELECT * FROM {table} WHERE (occurred_at AT TIME ZONE %s)::date BETWEEN %s AND %s"
        " AND {theirs} AND (%s::timestamptz IS NULL"
        " OR ({order}) > (%s::timestamptz, %s::bigint, %s::integer)) ORDER BY {order} LIMIT %s"
    ).format(
        table=sql.Identifier(NAME),
        theirs=theirs,
        order=sql.SQL(", ").join(map(sql.Identifier, ORDER)),
    )
    place = after or (None, None, None)
    params = [zone, from_day, to_day, *shown, place[0], *place, limit]
    return await fetch(pool, Entry, query, params)
