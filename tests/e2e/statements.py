"""Count the SQL statements the API sends while a block runs (psycopg's async cursor, wrapped)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest


@contextlib.contextmanager
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of every statement executed on an async connection inside the block.

    The API runs in the test's process, so this sees the resolvers' statements (the event
    store, which the queries never touch, uses its own synchronous connections).
    """
    seen: list[str] = []
    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany

    async def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query))
        return await execute(self, query, *args, **kwargs)

    async def counted_many(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query))
        return await executemany(self, query, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(psycopg.AsyncCursor, "execute", counted)
        patch.setattr(psycopg.AsyncCursor, "executemany", counted_many)
        yield seen
