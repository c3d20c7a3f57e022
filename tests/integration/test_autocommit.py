"""A read of one statement on an autocommitted pooled connection opens no transaction, and
the connection goes back to the pool as it came: the next user's statements share one
transaction again."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import pq
from psycopg_pool import AsyncConnectionPool

from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.runtime.bootstrap import Servers


async def test_one_statement_reads_open_no_transaction_and_leave_the_pool_as_it_was(
    servers: Servers,
) -> None:
    async with AsyncConnectionPool(servers.database_url, min_size=1, max_size=1) as pool:
        async with autocommitted(pool) as conn:
            await conn.execute("SELECT 1")
            assert conn.info.transaction_status is pq.TransactionStatus.IDLE
        async with pool.connection() as conn:
            assert not conn.autocommit
            await conn.execute("SELECT 1")
            assert conn.info.transaction_status is pq.TransactionStatus.INTRANS


@pytest.mark.parametrize(
    ("failing", "check", "expected"),
    [
        pytest.param(
            "SELECT * FROM no_such_table", "SELECT 2", (2,),
            id="a failed read leaves the connection usable",
        ),
        pytest.param(
            "BEGIN; CREATE TEMP TABLE left_behind (n int); SELECT * FROM no",
            "SELECT to_regclass('pg_temp.left_behind')", (None,),
            id="a transaction begun and left open is rolled back",
        ),
    ],
)  # fmt: skip
async def test_the_connection_goes_back_usable_after_a_failed_read(
    servers: Servers, failing: str, check: str, expected: tuple[object, ...]
) -> None:
    async with AsyncConnectionPool(servers.database_url, min_size=1, max_size=1) as pool:
        with pytest.raises(psycopg.errors.UndefinedTable):
            async with autocommitted(pool) as conn:
                await conn.execute(failing)
        async with pool.connection() as conn:
            assert not conn.autocommit
            cur = await conn.execute(check)
            assert await cur.fetchone() == expected
