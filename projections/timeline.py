"""The client timeline: one row per recorded fact, in clinical order.

Plain code from event to row. The live projector inserts rows a batch at a time and a
rebuild copies them in bulk; both call ``row`` so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql

from carecoord.events.envelope import CareEvent, type_name
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import generation_table

NAME = "timeline"
COLUMNS = (
    "position",
    "client_id",
    "event_id",
    "type",
    "kind",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_role",
    "summary",
    "facts",
)


table = generation_table(NAME)


def ddl(generation: int) -> list[sql.Composed]:
    t = table(generation)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " position bigint PRIMARY KEY,"
            " client_id uuid NOT NULL,"
            " event_id uuid NOT NULL,"
            " type text NOT NULL,"
            " kind text NOT NULL,"
            " occurred_at timestamptz NOT NULL,"
            " recorded_at timestamptz NOT NULL,"
            " actor_id text NOT NULL,"
            " actor_role text NOT NULL,"
            " summary text NOT NULL,"
            " facts jsonb NOT NULL)"
        ).format(t),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (client_id, occurred_at, position)").format(
            sql.Identifier(f"{NAME}_g{generation}_clinical"), t
        ),
        # Every read decides access from the client's program, named by their enrolment.
        sql.SQL(
            "CREATE INDEX IF NOT EXISTS {} ON {} (client_id) WHERE type = 'care.ClientEnrolled'"
        ).format(sql.Identifier(f"{NAME}_g{generation}_enrolment"), t),
    ]


ENVELOPE = frozenset({*CareEvent.model_fields, *CareEvent.model_computed_fields})
"""What every event says besides its own fields (who, when, ids): the row's other columns
carry what a reader may see of it, ``facts`` only the event's own fields."""


def row(item: Positioned) -> tuple[Any, ...]:
    event = item.event
    return (
        item.position,
        event.client_id,
        event.event_id,
        type_name(type(event)),
        event.kind.value,
        event.occurred_at,
        event.recorded_at,
        event.actor.id,
        event.actor.role.value,
        event.summary(),
        event.model_dump_json(exclude=set(ENVELOPE)),
    )


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    """Append rows with COPY: the projector only hands over positions not yet applied."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        table(generation), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    )
    async with conn.cursor() as cur, cur.copy(statement) as copy:
        for item in batch:
            await copy.write_row(row(item))
