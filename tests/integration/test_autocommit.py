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


async def test_a_failed_read_leaves_the_connection_usable(servers: Servers) -> None:
    async with AsyncConnectionPool(servers.database_url, min_size=1, max_size=1) as pool:
        with pytest.raises(psycopg.errors.UndefinedTable):
            async with autocommitted(pool) as conn:
                await conn.execute("SELECT * FROM no_such_table")
        async with pool.connection() as conn:
            assert not conn.autocommit
            cur = await conn.execute("SELECT 2")
            assert await cur.fetchone() == (2,)


async def test_a_transaction_begun_and_left_open_is_rolled_back(servers: Servers) -> None:
    async with AsyncConnectionPool(servers.database_url, min_size=1, max_size=1) as pool:
        with pytest.raises(psycopg.errors.UndefinedTable):
            async with autocommitted(pool) as conn:
                await conn.execute("BEGIN; CREATE TEMP TABLE left_behind (n int); SELECT * FROM no")
        async with pool.connection() as conn:
            assert not conn.autocommit
            cur = await conn.execute("SELECT to_regclass('pg_temp.left_behind')")
            assert await cur.fetchone() == (None,)
