"""Count the SQL statements the API sends while a block runs (psycopg's async cursor, wrapped)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from carecoord.services.infrastructure import cache_freshness, open_sockets

BACKGROUND = frozenset({cache_freshness.LOOP, open_sockets.LOOP})
"""The process's own loops, not the block's: the cache-freshness listener reads after any
commit, whoever made it, and the websocket lease is renewed every few seconds once any test
of the process opened a socket (a slow run met it inside a counted block)."""


@contextlib.contextmanager
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of every statement executed on an async connection inside the block.

    The API runs in the test's process, so this sees the resolvers' statements (the event
    store, which the queries never touch, uses its own synchronous connections).
    """
    seen: list[str] = []
    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany

    def note(query: Any) -> None:
        task = asyncio.current_task()
        if task is None or task.get_name() not in BACKGROUND:
            seen.append(str(query))

    async def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        note(query)
        return await execute(self, query, *args, **kwargs)

    async def counted_many(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        note(query)
        return await executemany(self, query, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(psycopg.AsyncCursor, "execute", counted)
        patch.setattr(psycopg.AsyncCursor, "executemany", counted_many)
        yield seen
