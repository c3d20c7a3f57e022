"""One round trip for many concurrent asks of the same kind.

Each ask joins the next call that starts after it was made, with the union of what all its
joiners want, and gets that call's answer. A call never answers an ask made while it was
already running, so an answer always reflects everything committed before its ask. Used
where a wider question gives an answer that is safe for every narrower one (the newest
access change of several clients: waiting for a later position is stricter, never laxer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K")
R = TypeVar("R")


class Coalesced(Generic[K, R]):
    def __init__(self, call: Callable[[frozenset[K]], Awaitable[R]]) -> None:
        self._call = call
        self._wanted: set[K] = set()
        self._next: asyncio.Future[R] | None = None
        self._running: asyncio.Task[None] | None = None

    async def ask(self, keys: Iterable[K]) -> R:
        """The answer of the next call, which covers ``keys``."""
        self._wanted.update(keys)
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        answer = self._next
        if self._running is None:
            self._running = asyncio.create_task(self._calls())
        # Shielded: one asker cancelled (its request gone) must not cancel the others'.
        return await asyncio.shield(answer)

    async def _calls(self) -> None:
        """Calls while asks wait, each for everything asked since the last one started."""
        try:
            while self._next is not None:
                answer, wanted = self._next, frozenset(self._wanted)
                self._next, self._wanted = None, set()
                try:
                    answer.set_result(await self._call(wanted))
                except Exception as failure:  # each asker raises it, as if it had called
                    answer.set_exception(failure)
        finally:
            self._running = None
