"""A lot's key in any letters (``lot_key``, version 2 of the per-lot ledger and of the stock
view) on a database an earlier release set up: each table, without the column, gains it as
the projector sets up, before the index on it. The index failed on the missing column, so
the projector's every start stopped with UndefinedColumn and no read model moved: the API
refused every client read and care-team write as its access rules catching up. The rows
keep an empty key until the rebuild each ``VERSION`` starts derives theirs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import ModuleType
from uuid import uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from carecoord.projections import inventory, stock
from carecoord.projections.projector import Projector

KEY = "position bigint NOT NULL, seq integer NOT NULL"
INVENTORY = [
    f"""CREATE TABLE inventory_g1 ({KEY}, lot text NOT NULL, bottle text NOT NULL,
    medication text NOT NULL, strength text NOT NULL, dosage_form text NOT NULL,
    kind text NOT NULL, amount numeric NOT NULL, unit text NOT NULL, client_id uuid NOT NULL,
    day date NOT NULL, occurred_at timestamptz NOT NULL, actor_id text NOT NULL,
    PRIMARY KEY (position, seq))""",
    "CREATE INDEX inventory_g1_lot ON inventory_g1 (lot, position)",
    "INSERT INTO inventory_g1 VALUES (1, 0, 'LOT-12', '', 'methadone', '10 mg/mL',"
    " 'oral solution', 'observed', 40, 'mg', %(id)s, %(day)s, %(at)s, 'nurse-1')",
]
STOCK = [
    f"""CREATE TABLE stock_g1 ({KEY}, site text NOT NULL, lot text NOT NULL,
    kind text NOT NULL, change numeric NOT NULL, counted numeric, expected numeric,
    medication text NOT NULL, strength text NOT NULL, dosage_form text NOT NULL,
    unit text NOT NULL, dea_schedule text NOT NULL, ref_id uuid NOT NULL, count_id uuid,
    detail text NOT NULL, witness_id text NOT NULL, day date NOT NULL,
    occurred_at timestamptz NOT NULL, actor_id text NOT NULL, PRIMARY KEY (position, seq))""",
    "CREATE INDEX stock_g1_lot ON stock_g1 (site, lot, position)",
    "INSERT INTO stock_g1 VALUES (1, 0, 'north', 'LOT-12', 'receipt', 1000, NULL, NULL,"
    " 'methadone', '10 mg/mL', 'oral solution', 'mg', 'II', %(id)s, NULL, '', '', %(day)s,"
    " %(at)s, 'pharm-1')",
]


@pytest.mark.parametrize(("model", "earlier"), [(inventory, INVENTORY), (stock, STOCK)])
async def test_a_table_an_earlier_release_created_gains_the_lot_key(
    database: str, model: ModuleType, earlier: list[str]
) -> None:
    values = {"id": uuid4(), "day": date(2026, 12, 1), "at": datetime.now(UTC)}
    async with AsyncConnectionPool(database, open=False) as pool:
        async with pool.connection() as conn:
            for statement in earlier:
                await conn.execute(statement, values if "%(" in statement else None)
        projector = Projector(pool, [model])
        await projector.setup()
        await projector.setup()  # a second start finds the column there

        async with pool.connection() as conn:
            cur = await conn.execute(f"SELECT lot, lot_key FROM {model.NAME}")
            assert await cur.fetchall() == [("LOT-12", "")]
