"""Whether this process's database answers, for ``/health``: answering, busy, or unreachable,
each told within one bound.

A database whose pool is merely busy (every connection checked out by long requests) and a
database that does not answer look the same to a wait for a pooled connection: both time
out. ``read_or_probe`` tells them apart. It reads what ``/health`` needs on a pooled
connection within half the bound (on another, the pool checked, when that one had been
lost); when that fails (no connection in time, an error, a slow answer), it asks the server
itself on a connection of its own, outside the pool, in the time left. The server
answering that connection means this process's pool is busy (the database is up); refused
or silent, the database is unreachable. The pool is waited on for the half even with every
connection out and requests queued: the loops sharing it (the projector, the relay, the
heartbeat, the sweeps) check connections out briefly and queue for them, most of all as the
process starts, and a look at that moment named the pool busy (``PoolExhausted``) where a
connection came back within milliseconds.

A process holds other pools beside that one (the API's bound reads on the primary, the
replica's, the event store's writer), each of which can be taken while it answers: ``taken``
asks each for a connection within the bound, so an exhausted read pool is busy, where only
the process's pool was looked at and the API read healthy while its every read waited.

Every wait is bounded, the statements included: a query cancelled by asyncio makes psycopg
send the server a cancel and wait up to 10 s for it, so the work runs as a task of its own
that the answer does not wait for once the bound has passed (``within``); it ends by
itself, its connection going back to the pool.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout
from psycopg_pool.base import BasePool

from carecoord.services.infrastructure.connection_lost import connection_lost
from carecoord.services.infrastructure.liveness import error_code

log = logging.getLogger("carecoord.database_probe")

T = TypeVar("T")

APPLICATION_NAME = "carecoord-health"
"""How the probe's own connection shows in ``pg_stat_activity``."""

# The server's words when it turns a connection away for want of a slot (SQLSTATE 53300, which
# libpq does not pass on for a failed connect): it answered, it is full, not down.
_FULL = ("too many connections", "too many clients", "remaining connection slots")

_detached: set[asyncio.Task[Any]] = set()
"""Work given up on at its bound, kept referenced until it ends by itself."""


class Reach(StrEnum):
    ANSWERS = "answers"
    """A pooled connection answered what was asked."""
    BUSY = "busy"
    """No pooled connection answered in time, but the server answered one of the probe's own
    (or turned it away for want of a free slot): up, and this process's pool is taken."""
    UNREACHABLE = "unreachable"
    """Neither: refused, an error, or nothing within the bound."""


@dataclass(frozen=True, slots=True)
class PoolUse:
    """What the pool held when it was looked at (``AsyncConnectionPool.get_stats``)."""

    size: int
    """Connections the pool has (checked out, idle, or being opened)."""
    max_size: int
    available: int
    """Idle connections, ready to be handed out."""
    waiting: int
    """Requests queued for a connection."""

    @classmethod
    def of(cls, pool: BasePool) -> PoolUse:
        stats = pool.get_stats()
        return cls(
            size=stats.get("pool_size", 0),
            max_size=stats.get("pool_max", pool.max_size),
            available=stats.get("pool_available", 0),
            waiting=stats.get("requests_waiting", 0),
        )

    @property
    def exhausted(self) -> bool:
        """No idle connection, none to be opened: every one is checked out."""
        return self.available == 0 and self.size >= self.max_size

    def report(self) -> dict[str, int]:
        return {
            "size": self.size,
            "max": self.max_size,
            "available": self.available,
            "waiting": self.waiting,
        }


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    reach: Reach
    value: T | None
    """What was read on the pooled connection; None unless ``reach`` is ``ANSWERS``."""
    pool: PoolUse
    """The pool when the reading ended (when it failed, as it failed)."""


async def within(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """``work``'s result, or ``TimeoutError`` after ``seconds`` at the most. Work not done
    by then is cancelled and left to end by itself: the caller does not wait for psycopg's
    cancel of a running query (up to 10 s), nor does a cancel of the caller."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(seconds, 0.0))
    except asyncio.CancelledError:
        _give_up(task)
        raise
    if not done:
        _give_up(task)
        raise TimeoutError
    return task.result()


def _give_up(task: asyncio.Task[Any]) -> None:
    task.cancel()
    _detached.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Task[Any]) -> None:
    _detached.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a failure after the bound is no one's to report


async def read_or_probe(
    pool: AsyncConnectionPool,
    database_url: str,
    read: Callable[[AsyncConnection[Any]], Awaitable[T]],
    bound: float,
) -> Reading[T]:
    """``read`` on a pooled connection within half of ``bound``; failing that, whether the
    server answers a connection of its own in the time left. Answers within ``bound``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    share = bound / 2

    try:
        value = await within(read_pooled(pool, read, share), share)
    except (psycopg.Error, PoolTimeout, TimeoutError) as failed:
        failure = error_code(failed)
    else:
        return Reading(Reach.ANSWERS, value, PoolUse.of(pool))
    use = PoolUse.of(pool)
    answered = await server_answers(database_url, bound - (loop.time() - started))
    reach = Reach.BUSY if answered else Reach.UNREACHABLE
    log.warning(
        "database %s",
        reach.value,
        extra={"code": f"DATABASE_{reach.value.upper()}", "error": failure, **use.report()},
    )
    return Reading(reach, None, use)


async def read_pooled(
    pool: AsyncConnectionPool, read: Callable[[AsyncConnection[Any]], Awaitable[T]], wait: float
) -> T:
    """``read`` on a connection of ``pool`` (``wait``: for one to be free); on another when
    that one had been lost, once the pool has checked its idle connections: after a restart
    or a terminated backend they most often died with it, and the positions /health and
    /metrics read went unread (busy, its pool all but idle) at the first ask after it."""
    async with pool.connection(timeout=wait) as conn:
        try:
            return await read(conn)
        except psycopg.OperationalError as failed:
            if not connection_lost(failed):
                raise
    await pool.check()
    async with pool.connection(timeout=wait) as conn:
        return await read(conn)


async def server_answers(database_url: str, seconds: float) -> bool:
    """Whether the server answers ``SELECT 1`` on a new connection within ``seconds``, or
    turns the connection away only for want of a free slot."""

    async def ask() -> None:
        conn = await psycopg.AsyncConnection.connect(
            database_url,
            autocommit=True,
            # libpq counts whole seconds, two at the least; ``within`` keeps the real bound.
            connect_timeout=max(2, math.ceil(seconds)),
            application_name=APPLICATION_NAME,
        )
        try:
            await conn.execute("SELECT 1")
        finally:
            await conn.close()

    try:
        await within(ask(), seconds)
    except psycopg.OperationalError as refused:
        return any(words in str(refused) for words in _FULL)
    except (psycopg.Error, OSError, TimeoutError):
        return False
    return True


async def taken(pools: Mapping[str, BasePool], seconds: float) -> list[str]:
    """The labels of ``pools`` that handed out no connection within ``seconds``, as a
    request asking then would have waited: every connection out on long work, or requests
    already queued for one (then at once: the ask would only queue behind them)."""

    async def checked_out(pool: BasePool) -> None:
        if isinstance(pool, AsyncConnectionPool):
            async with pool.connection(timeout=seconds):
                return
        assert isinstance(pool, ConnectionPool)
        await asyncio.to_thread(_check_out, pool, seconds)

    async def one(pool: BasePool) -> bool:
        use = PoolUse.of(pool)
        if use.exhausted and use.waiting:
            return True
        try:
            await within(checked_out(pool), seconds)
        except (psycopg.Error, PoolTimeout, TimeoutError):
            return True
        return False

    found = await asyncio.gather(*(one(pool) for pool in pools.values()))
    return [label for label, busy in zip(pools, found, strict=True) if busy]


def _check_out(pool: ConnectionPool, seconds: float) -> None:
    """A connection of a pool the library's threads use, had and given back."""
    with pool.connection(timeout=seconds):
        return
