"""The medication view: each client's orders, statements and interaction findings.

One row per order, statement or finding, with its current status and details and the
history of every event about it. The current list is the rows still in the picture
(active or on hold); a finding stays open while every medication it implicates does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import CareEvent
from carecoord.events.envelope import type_name
from carecoord.events.medication import (
    DoseChanged,
    InteractionFound,
    MedicationPrescribed,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    TaperOrdered,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_ddl, generation_table
from carecoord.projections.inserts import Pending
from carecoord.projections.rows import fetch, steps_at_most

NAME = "medications"
VERSION = 4
READS = (DoseChanged, InteractionFound, MedicationPrescribed, MedicationStatementEnded,
         MedicationStatementEnteredInError, MedicationStatementRecorded, OrderDiscontinued,
         OrderEnteredInError, OrderHeld, OrderReinstated, OrderResumed,
         TaperOrdered)  # fmt: skip
"""The events ``apply`` reads (a rebuild decodes no other for it)."""


table = generation_table(NAME)


ddl = generation_ddl(
    NAME,
    "id uuid PRIMARY KEY, client_id uuid NOT NULL, entry text NOT NULL, medication text NOT NULL,"
    " status text NOT NULL, details jsonb NOT NULL, history jsonb NOT NULL,"
    " created_position bigint NOT NULL, updated_position bigint NOT NULL",
    {"client": "(client_id, entry, status)"},
)


def moment(item: Positioned) -> dict[str, Any]:
    """One step of an entry's history: who recorded it in which role, and its summary line;
    a line ending with its writer's reason (a hold's) has the line without it beside it
    (``untold``), which a reader not shown the reason reads (``policy.shows_text_by``)."""
    e = item.event
    line = e.summary()
    step = {
        "position": item.position,
        "type": e.type,
        "occurredAt": e.occurred_at.isoformat(),
        "recordedBy": e.actor.id,
        "role": e.actor.role.value,
        "summary": line,
    }
    if type(e).summary_text:
        step["untold"] = type(e).summary_withheld(line, e.facts())
    return step


def order_details(e: MedicationPrescribed | DoseChanged | TaperOrdered) -> dict[str, Any]:
    facts = e.model_dump(
        mode="json", include=set(type(e).model_fields) - set(CareEvent.model_fields)
    )
    facts.pop("order_id")
    return facts


class _Writer:
    def __init__(self, conn: AsyncConnection, generation: int) -> None:
        self.conn = conn
        self.t = table(generation)
        self.inserted = Pending(
            conn, self.t, ["id"], tuple(Medication.__annotations__), position="created_position"
        )

    def insert(
        self, item: Positioned, id: UUID, entry: str, medication: str, details: dict[str, Any]
    ) -> None:
        status = "open" if entry == "finding" else "active"
        self.inserted.add((id, item.event.client_id, entry, medication, status,
                           json.dumps(details), json.dumps([moment(item)]), item.position,
                           item.position))  # fmt: skip

    async def update(
        self, item: Positioned, id: UUID, status: str | None, details: dict[str, Any]
    ) -> None:
        await self.inserted.flush()
        await self.conn.execute(
            sql.SQL(
                "UPDATE {} SET status = COALESCE(%s, status), details = details || %s::jsonb,"
                " history = history || %s::jsonb, updated_position = %s"
                " WHERE id = %s AND client_id = %s AND updated_position < %s"
            ).format(self.t),
            (status, json.dumps(details), json.dumps([moment(item)]), item.position, id,
             item.event.client_id, item.position),
        )  # fmt: skip

    async def replaced(self, item: Positioned, id: UUID, by: UUID, last: date) -> None:
        """The order a dose change or taper replaced: it ends the day before its successor
        starts, or at its own end if that is earlier (as the record doses it)."""
        await self.inserted.flush()
        await self.conn.execute(
            sql.SQL(
                "UPDATE {} SET status = 'replaced', details = details || jsonb_build_object("
                "'replaced_by', %s::text,"
                " 'end', LEAST(COALESCE((details->>'end')::date, %s::date), %s::date)::text),"
                " history = history || %s::jsonb, updated_position = %s"
                " WHERE id = %s AND client_id = %s AND updated_position < %s"
            ).format(self.t),
            (str(by), last, last, json.dumps([moment(item)]), item.position, id,
             item.event.client_id, item.position),
        )  # fmt: skip

    async def left_picture(self, item: Positioned, id: UUID) -> None:
        """Findings that implicate ``id`` are resolved once it is no longer taken."""
        await self.inserted.flush()
        await self.conn.execute(
            sql.SQL(
                "UPDATE {} SET status = 'resolved', history = history || %s::jsonb,"
                " updated_position = %s WHERE client_id = %s AND entry = 'finding'"
                " AND status = 'open' AND details->'implicated' @> %s::jsonb"
            ).format(self.t),
            (json.dumps([moment(item)]), item.position, item.event.client_id,
             json.dumps([{"id": str(id)}])),
        )  # fmt: skip


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    w = _Writer(conn, generation)
    for item in batch:
        e = item.event
        if isinstance(e, MedicationPrescribed | DoseChanged | TaperOrdered):
            w.insert(item, e.order_id, "order", e.medication, order_details(e))
            if isinstance(e, DoseChanged | TaperOrdered):
                last = e.start - timedelta(days=1)
                await w.replaced(item, e.prior_order_id, e.order_id, last)
                await w.left_picture(item, e.prior_order_id)
        elif isinstance(e, OrderHeld):
            hold = {"since": e.occurred_at.isoformat(), "by": e.actor.id, "reason": e.reason,
                    "rule_id": e.rule_id, "role": e.actor.role.value}  # fmt: skip
            await w.update(item, e.order_id, "on-hold", {"hold": hold})
        elif isinstance(e, OrderResumed):
            await w.update(item, e.order_id, "active", {"hold": None})
        elif isinstance(e, OrderDiscontinued | OrderEnteredInError):
            status = "stopped" if isinstance(e, OrderDiscontinued) else "entered-in-error"
            # A stopped order is no longer held: its hold stays in its history lines only.
            stopped = {"stopped_reason": e.reason, "stopped_by": e.actor.id,
                       "stopped_role": e.actor.role.value, "hold": None}  # fmt: skip
            await w.update(item, e.order_id, status, stopped)
            await w.left_picture(item, e.order_id)
        elif isinstance(e, OrderReinstated):
            end = None if e.end is None else e.end.isoformat()
            back = {"replaced_by": None, "end": end, "reinstated_from": e.start.isoformat()}
            await w.update(item, e.order_id, "active", back)
        elif isinstance(e, MedicationStatementRecorded):
            details = e.model_dump(
                mode="json", include={"dose", "unit", "source", "source_detail", "since"}
            )
            w.insert(item, e.statement_id, "statement", e.medication, details)
        elif isinstance(e, MedicationStatementEnded | MedicationStatementEnteredInError):
            status = "stopped" if isinstance(e, MedicationStatementEnded) else "entered-in-error"
            await w.update(item, e.statement_id, status, {"stopped_reason": e.reason})
            await w.left_picture(item, e.statement_id)
        elif isinstance(e, InteractionFound):
            details = e.model_dump(
                mode="json", exclude=set(CareEvent.model_fields) | {"finding_id"}
            )
            w.insert(item, e.finding_id, "finding", e.rule_id, details)
    await w.inserted.flush()


class Medication(TypedDict):
    """An order, a statement or a finding (``entry``), as it stands."""

    id: UUID
    client_id: UUID
    entry: str
    medication: str
    status: str
    details: dict[str, Any]
    history: list[dict[str, Any]]
    created_position: int
    updated_position: int


async def of_client(
    pool: AsyncConnectionPool, client_id: UUID, statuses: Sequence[str] | None, most: int
) -> list[Medication]:
    """A client's orders, statements and findings (those in ``statuses``, or all), in the
    order they were first recorded, up to the one that takes their entries and history
    steps together past ``most``: past it they are more than ``most`` and refused, the rest
    left unread (``rows.steps_at_most``)."""
    source = sql.SQL(
        "SELECT * FROM {} WHERE client_id = %s AND (%s::text[] IS NULL OR status = ANY(%s))"
    ).format(sql.Identifier(NAME))
    query, bound = steps_at_most(Medication, source, ["created_position"], most)
    kept = None if statuses is None else list(statuses)
    return await fetch(pool, Medication, query, [client_id, kept, kept, *bound])


class _Id(TypedDict):
    id: UUID


async def blind_orders(pool: AsyncConnectionPool, client_id: UUID) -> set[UUID]:
    """A client's orders of a blind taper: their doses are not shown to the client."""
    query = sql.SQL(
        "SELECT id FROM {} WHERE client_id = %s AND entry = 'order'"
        " AND (details->>'blind')::boolean"
    ).format(sql.Identifier(NAME))
    return {r["id"] for r in await fetch(pool, _Id, query, [client_id])}


class _Stopped(TypedDict):
    id: UUID
    history: list[dict[str, Any]]


async def stopped_at(pool: AsyncConnectionPool, client_id: UUID) -> dict[UUID, datetime]:
    """When each of a client's discontinued orders stopped (its discontinuation's clinical
    time, from its history): a take-home bottle for a later day is no dose of it."""
    query = sql.SQL(
        "SELECT id, history FROM {} WHERE client_id = %s AND entry = 'order' AND status = 'stopped'"
    ).format(sql.Identifier(NAME))
    stopped = type_name(OrderDiscontinued)
    return {
        r["id"]: datetime.fromisoformat(step["occurredAt"])
        for r in await fetch(pool, _Stopped, query, [client_id])
        for step in r["history"]
        if step["type"] == stopped
    }
