"""Which of the records a process's open sockets watch an ask of the store says yes to (a
user suspended, ``services/gate/suspensions.py``): at each commit of any process, one ask for
all of them, which wakes the sockets of those it named. A task per socket woke at every
commit and asked on its own: every socket a wake-up and an ask per commit, where most
commits concern none of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from uuid import UUID

from carecoord.services.infrastructure.coalesced import Coalesced
from carecoord.services.infrastructure.doorbell import Doorbell
from carecoord.services.kernel.errors import DomainError


class RecordWatch:
    def __init__(self, doorbell: Doorbell, ask: Coalesced[UUID, frozenset[UUID]]) -> None:
        self._doorbell = doorbell
        self._ask = ask
        self._waiting: defaultdict[UUID, set[asyncio.Future[None]]] = defaultdict(set)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def until(self, record: UUID) -> None:
        """Returns once the ask names ``record`` (asked at once, then at every commit)."""
        named = asyncio.get_running_loop().create_future()
        self._waiting[record].add(named)
        if self._wake is None:
            self._wake = self._doorbell.bell()
            self._task = asyncio.create_task(self._run(self._wake))
        self._wake.set()  # asked now too: what was recorded as the socket opened counts
        try:
            await named
        finally:
            waiting = self._waiting[record]
            waiting.discard(named)
            if not waiting:
                del self._waiting[record]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._wake is not None:
            self._doorbell.unbell(self._wake)
            self._wake = None

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            if not self._waiting:
                continue
            try:
                named = await self._ask.ask(list(self._waiting))
            except DomainError:  # the database away: asked again at the next commit (and
                continue  # every new operation is refused until it answers)
            for record in named:
                for waiter in self._waiting.get(record, ()):
                    if not waiter.done():
                        waiter.set_result(None)
