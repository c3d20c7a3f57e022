"""A database connection lost under a read: the server ended it (an operator's
``pg_terminate_backend``, a restart, a failover) or it broke. A read decides nothing, so
asking again is safe; the pool drops the dead connection and the retry gets another."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg_pool import AsyncConnectionPool

from carecoord.services.kernel.errors import Unavailable

P = ParamSpec("P")
R = TypeVar("R")

RULE = "database-connection-lost"
MESSAGE = "the connection to the database was lost (a restart, a failover): retry"
SERVER_ENDED = frozenset({"57P01", "57P02", "57P03"})
"""The server ended the connection: an operator's pg_terminate_backend, a shutdown, a start."""


def connection_lost(error: BaseException | None) -> bool:
    """A connection the server ended or that broke under a statement."""
    found = error.__cause__ if isinstance(error, PersistenceError) else error
    if not isinstance(found, psycopg.OperationalError):
        return False
    state = found.sqlstate
    return state is None or state.startswith("08") or state in SERVER_ENDED


def unavailable_when_lost(read: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """``read`` refusing UNAVAILABLE (``RULE``, retry) when its connection is lost: a
    decision read before a write (the access gate's) decided nothing, where the driver's
    error, surfacing in a mutation, read as a write of unknown outcome."""

    @functools.wraps(read)
    async def answered(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await read(*args, **kwargs)
        except psycopg.OperationalError as failure:
            if not connection_lost(failure):
                raise
            raise Unavailable("", RULE, MESSAGE) from failure

    return answered


async def once_more_when_lost(pool: AsyncConnectionPool, read: Callable[[], Awaitable[R]]) -> R:
    """``read`` (one ``unavailable_when_lost``, on a connection of ``pool``), asked once more
    when its connection was lost, after the pool has checked its idle connections: they
    most often died with it (a restart, a failover, every backend terminated). For a read
    many requests share (one coalesced statement), whose one lost connection failed them
    all."""
    try:
        return await read()
    except Unavailable as refusal:
        if refusal.rule != RULE:
            raise
    await pool.check()
    return await read()
