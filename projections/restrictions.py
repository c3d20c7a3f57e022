"""Restrictions on what a client sees of their own record, e.g. while on a blind taper.

The hook between the medication record and the read policy: a blind ``TaperOrdered`` opens
``Restriction.BLIND_TAPER`` for the client until that order is replaced, discontinued,
entered in error or past its end date, and again when it is back in force (the order that
replaced it entered in error); ``services/kernel/policy.py`` says what a restriction hides.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection, sql

from carecoord.events.medication import (
    DoseChanged,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderReinstated,
    TaperOrdered,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_ddl, generation_table
from carecoord.projections.inserts import insert_once
from carecoord.services.kernel.policy import Restriction

NAME = "client_restrictions"
VERSION = 1
CHANGED_BY = (DoseChanged, OrderDiscontinued, OrderEnteredInError, OrderReinstated, TaperOrdered)
COLUMNS = ("order_id", "client_id", "restriction", "until")


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "order_id uuid PRIMARY KEY, client_id uuid NOT NULL, restriction text NOT NULL, until date",
    {"client": "(client_id)"},
)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    lift = sql.SQL("DELETE FROM {} WHERE order_id = %s AND client_id = %s").format(t)
    for item in batch:
        event = item.event
        if isinstance(event, DoseChanged | TaperOrdered):
            await conn.execute(lift, (event.prior_order_id, event.client_id))
        if isinstance(event, OrderDiscontinued | OrderEnteredInError):
            await conn.execute(lift, (event.order_id, event.client_id))
        if isinstance(event, TaperOrdered | OrderReinstated) and event.blind:
            row = (event.order_id, event.client_id, Restriction.BLIND_TAPER.value, event.end)
            await insert_once(conn, t, ["order_id"], COLUMNS, [row])
