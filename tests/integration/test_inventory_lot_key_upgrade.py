"""The per-lot ledger's ``lot_key`` (version 2) on a database an earlier release set up: its
table, without the column, gains it as the projector sets up, before the index on it. The
index failed on the missing column, so the projector's every start stopped with
UndefinedColumn and no read model moved: the API refused every client read and care-team
write as its access rules catching up. The rows keep an empty key until the rebuild its
``VERSION`` starts derives theirs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from psycopg_pool import AsyncConnectionPool

from carecoord.projections import inventory
from carecoord.projections.projector import Projector

EARLIER = [
    """CREATE TABLE inventory_g1 (position bigint NOT NULL, seq integer NOT NULL,
    lot text NOT NULL, bottle text NOT NULL, medication text NOT NULL, strength text NOT NULL,
    dosage_form text NOT NULL, kind text NOT NULL, amount numeric NOT NULL, unit text NOT NULL,
    client_id uuid NOT NULL, day date NOT NULL, occurred_at timestamptz NOT NULL,
    actor_id text NOT NULL, PRIMARY KEY (position, seq))""",
    "CREATE INDEX inventory_g1_lot ON inventory_g1 (lot, position)",
]


async def test_a_ledger_table_an_earlier_release_created_gains_the_lot_key(
    database: str,
) -> None:
    async with AsyncConnectionPool(database, open=False) as pool:
        async with pool.connection() as conn:
            for statement in EARLIER:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO inventory_g1 VALUES (1, 0, 'LOT-12', '', 'methadone', '10 mg/mL',"
                " 'oral solution', 'observed', 40, 'mg', %s, %s, %s, 'nurse-1')",
                (uuid4(), date(2026, 12, 1), datetime.now(UTC)),
            )
        projector = Projector(pool, [inventory])
        await projector.setup()
        await projector.setup()  # a second start finds the column there

        async with pool.connection() as conn:
            cur = await conn.execute("SELECT lot, lot_key FROM inventory")
            assert await cur.fetchall() == [("LOT-12", "")]
