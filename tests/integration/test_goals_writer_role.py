"""The goals view keeps each goal's writer's role, by which its words are shown. A goals table
an earlier release created, without it, gains the column as the projector sets up: the rows
it holds count as a prescriber's (whose words show to the fewest) until the rebuild its
``VERSION`` starts derives their own, and the goals set meanwhile carry their writer's."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Kind, Role
from carecoord.events.care import TreatmentGoalSet
from carecoord.events.positioned import Positioned
from carecoord.projections import goals
from carecoord.projections.projector import Projector
from carecoord.projections.rows import Shown

EARLIER = """CREATE TABLE treatment_goals_g1 (goal_id uuid PRIMARY KEY, client_id uuid NOT NULL,
    kind text NOT NULL, actor_id text NOT NULL, description text NOT NULL, target_date date,
    achievement text NOT NULL, set_at timestamptz NOT NULL, set_position bigint NOT NULL,
    updated_position bigint NOT NULL, history jsonb NOT NULL)"""
THERAPY = Shown(frozenset({Kind.THERAPY}), frozenset(), "auditor-1")


async def test_a_goals_table_an_earlier_release_created_gains_the_writers_role(
    database: str,
) -> None:
    client_id, now = uuid4(), datetime.now(UTC)
    async with AsyncConnectionPool(database, open=False) as pool:
        async with pool.connection() as conn:
            await conn.execute(EARLIER)
            await conn.execute(
                "INSERT INTO treatment_goals_g1 VALUES"
                " (%s, %s, 'therapy', 'ther-1', 'taper to 40 mg', NULL, 'in-progress', %s, 1, 1,"
                " '[]')",
                (uuid4(), client_id, now),
            )
        projector = Projector(pool, [goals])
        await projector.setup()
        await projector.setup()  # a second start finds the column there
        therapist = Actor(id="ther-1", role=Role.THERAPIST)
        set_after = TreatmentGoalSet(
            event_id=uuid4(), client_id=client_id, occurred_at=now, recorded_at=now,
            actor=therapist, correlation_id=uuid4(), goal_id=uuid4(), description="walk daily",
        )  # fmt: skip
        await projector.handle([Positioned(2, set_after)])

        found = await goals.client_goals(pool, client_id, THERAPY)

    assert [(g["description"], g["actor_role"]) for g in found] == [
        ("taper to 40 mg", "prescriber"),
        ("walk daily", "therapist"),
    ]
