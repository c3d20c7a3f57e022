"""Treatment-plan goals per client: one row per goal with where it stands now and every
progress step in order (FHIR Goal with its achievementStatus history).

Rows carry the goal's kind and author so a query filters them with the reader's grant
exactly as the timeline does, and the author's role, by which its words are shown
(``policy.shows_text_by``); a replayed step (same position) is not appended twice.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.care import GoalAchievement, GoalProgressRecorded, TreatmentGoalSet
from carecoord.events.positioned import Positioned
from carecoord.projections.generations import columns_added, generation_ddl, generation_table
from carecoord.projections.inserts import Pending
from carecoord.projections.rows import Shown, fetch, in_period, steps_at_most

NAME = "treatment_goals"
VERSION = 2
READS = (TreatmentGoalSet, GoalProgressRecorded)
"""The events ``apply`` reads (a rebuild decodes no other for it)."""


table = generation_table(NAME)


ddl = columns_added(
    NAME,
    generation_ddl(
        NAME,
        "goal_id uuid PRIMARY KEY, client_id uuid NOT NULL, kind text NOT NULL,"
        " actor_id text NOT NULL, description text NOT NULL, target_date date,"
        " achievement text NOT NULL, set_at timestamptz NOT NULL, set_position bigint NOT NULL,"
        " updated_position bigint NOT NULL, history jsonb NOT NULL, actor_role text NOT NULL",
        {"client": "(client_id, set_at)"},
    ),
    # An earlier release's rows count as a prescriber's, whose words show to the fewest,
    # until the rebuild VERSION starts derives their writers' own.
    {"actor_role": "text NOT NULL DEFAULT 'prescriber'"},
)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    t = table(generation)
    goals = Pending(conn, t, ["goal_id"], tuple(Goal.__annotations__), position="set_position")
    for item in batch:
        event = item.event
        if isinstance(event, TreatmentGoalSet):
            goals.add((event.goal_id, event.client_id, event.kind.value, event.actor.id,
                       event.description, event.target_date, GoalAchievement.IN_PROGRESS.value,
                       event.occurred_at, item.position, item.position, "[]",
                       event.actor.role.value))  # fmt: skip
        elif isinstance(event, GoalProgressRecorded):
            await goals.flush()
            step = {
                "achievement": event.achievement.value,
                "note": event.note,
                "at": event.occurred_at.isoformat(),
                "by": event.actor.id,
                "role": event.actor.role.value,
                "position": item.position,
            }
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET achievement = %s, updated_position = %s,"
                    " history = history || %s::jsonb"
                    " WHERE goal_id = %s AND client_id = %s AND updated_position < %s"
                ).format(t),
                (
                    event.achievement.value, item.position, json.dumps([step]), event.goal_id,
                    event.client_id, item.position,
                ),
            )  # fmt: skip
    await goals.flush()


class Goal(TypedDict):
    """A goal as it stands, with its progress steps in order (``history``)."""

    goal_id: UUID
    client_id: UUID
    kind: str
    actor_id: str
    description: str
    target_date: date | None
    achievement: str
    set_at: datetime
    set_position: int
    updated_position: int
    history: list[dict[str, Any]]
    actor_role: str


async def client_goals(
    pool: AsyncConnectionPool,
    client_id: UUID,
    shown: Shown,
    set_from: datetime | None = None,
    set_to: datetime | None = None,
    most: int | None = None,
) -> list[Goal]:
    """A client's goals those ``shown`` allows, in the order they were set (those set from
    ``set_from``, before ``set_to``); with ``most``, up to the one that takes the goals and
    their progress steps together past it (``rows.steps_at_most``)."""
    readable, params = shown.where()
    period, bounds = in_period("set_at", set_from, set_to)
    source = sql.SQL("SELECT * FROM {} WHERE client_id = %s AND {} AND {}").format(
        sql.Identifier(NAME), readable, period
    )
    query, bound = source + sql.SQL(" ORDER BY set_at, set_position"), list[Any]()
    if most is not None:
        query, bound = steps_at_most(Goal, source, ["set_at", "set_position"], most)
    return await fetch(pool, Goal, query, [client_id, *params, *bounds, *bound])


async def by_id(
    pool: AsyncConnectionPool, client_id: UUID, goal_ids: Collection[UUID]
) -> dict[UUID, Goal]:
    """A client's goals of ``goal_ids``, by id: a progress step restates its goal's words,
    which are its setter's (``actor_id``, ``actor_role``), not the step's writer's."""
    query = sql.SQL("SELECT * FROM {} WHERE client_id = %s AND goal_id = ANY(%s)").format(
        sql.Identifier(NAME)
    )
    found = await fetch(pool, Goal, query, [client_id, list(goal_ids)])
    return {goal["goal_id"]: goal for goal in found}
