"""The dosing view's writer's role (``actor_role``, version 3) on a database an earlier
release set up: the table, without the column, gains it as the projector sets up, and its
rows keep an empty role until the rebuild ``VERSION`` starts derives theirs; meanwhile a
reason in such a row's ``detail`` shows to its writer alone, never to every reader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from psycopg_pool import AsyncConnectionPool

from carecoord.events import Role
from carecoord.graphql.medication_views import dose_shown
from carecoord.graphql.withheld import TextShown
from carecoord.projections import dosing
from carecoord.projections.projector import Projector
from carecoord.services.kernel.policy import Standing, decide

EARLIER = [
    """CREATE TABLE dosing_g1 (position bigint NOT NULL, seq integer NOT NULL,
    client_id uuid NOT NULL, order_id uuid NOT NULL, medication text NOT NULL, day date NOT NULL,
    slot integer NOT NULL, status text NOT NULL, amount numeric, unit text NOT NULL,
    detail text NOT NULL, ref_id uuid, occurred_at timestamptz NOT NULL, actor_id text NOT NULL,
    PRIMARY KEY (position, seq))""",
    "CREATE INDEX dosing_g1_client_day ON dosing_g1 (client_id, day, slot)",
    "INSERT INTO dosing_g1 VALUES (1, 0, %(id)s, %(id)s, 'methadone', %(day)s, 1,"
    " 'entered-in-error', 30, 'mg', 'charted on the wrong client', %(id)s, %(at)s, 'nurse-1')",
]


async def test_a_table_an_earlier_release_created_gains_the_writers_role(database: str) -> None:
    client = uuid4()
    values = {"id": client, "day": date(2026, 12, 1), "at": datetime.now(UTC)}
    async with AsyncConnectionPool(database, open=False) as pool:
        async with pool.connection() as conn:
            for statement in EARLIER:
                await conn.execute(statement, values if "%(" in statement else None)
        projector = Projector(pool, [dosing])
        await projector.setup()
        await projector.setup()  # a second start finds the column there
        [row] = await dosing.of_client(pool, client, None, None)

    assert row["actor_role"] == ""
    nurse = decide(Role.NURSE, Standing(on_care_team=True))
    assert dose_shown(row, TextShown.of(nurse, "nurse-2"))["withheld"] == ["detail"]
    assert dose_shown(row, TextShown.of(nurse, "nurse-1"))["withheld"] == []
