"""Count the SQL statements the API sends while a block runs (psycopg's async cursor, wrapped)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from carecoord.services.infrastructure import cache_freshness


@contextlib.contextmanager
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of every statement executed on an async connection inside the block.

    The API runs in the test's process, so this sees the resolvers' statements (the event
    store, which the queries never touch, uses its own synchronous connections).
    """
    seen: list[str] = []
    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany

    def note(query: Any) -> None:
        # Not the cache-freshness listener's: it reads after any commit, whoever made it.
        task = asyncio.current_task()
        if task is None or task.get_name() != cache_freshness.LOOP:
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
