"""Which of the records a process's open sockets watch an ask of the store says yes to (a
user suspended, ``services/gate/suspensions.py``): at each commit of any process, one ask for
all of them, which wakes the sockets whose token the answer ends (its user suspended, or
reinstated after the token was issued). A task per socket woke at every commit and asked on
its own: every socket a wake-up and an ask per commit, where most commits concern none of
them. A user suspended and reinstated between two asks is never named suspended, so the
reinstatement ends the sockets on tokens issued before it too: a suspension revokes them.

Each push of a socket asks the watch too (``named_through``): the socket is closed only once
its task has run, and a push of what was recorded after the suspension went out in between.
The watch's last answer already holds it, unless the push is of an event past the answer,
which then waits for the watch's next ask: one ask a commit for every socket, not one a push.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from carecoord.services.infrastructure.coalesced import Coalesced
from carecoord.services.infrastructure.doorbell import Doorbell
from carecoord.services.kernel.errors import DomainError


@dataclass(frozen=True, slots=True)
class Named:
    """One answer of the store: the records asked that it names, as of ``through``, the
    store's last position then. Events are committed in the order of their positions (the
    store's writers take turns), so every event up to ``through`` counted for the answer."""

    records: frozenset[UUID]
    through: int
    reinstated: Mapping[UUID, int] = field(default_factory=dict)
    """Of the records asked, those whose newest event is a reinstatement: the second it was
    recorded in (epoch seconds, as a token's ``iat``)."""

    def revokes(self, record: UUID, issued_at: int | None) -> bool:
        """Whether the reinstatement of ``record`` revokes a token issued at ``issued_at``
        (``iat``; None: unsaid): one issued before it. Its own second counts as after it:
        ``iat`` holds whole seconds."""
        reinstated = self.reinstated.get(record)
        return reinstated is not None and (issued_at is None or issued_at < reinstated)

    def ends(self, record: UUID, issued_at: int | None) -> bool:
        """Whether a token of ``record``'s user issued at ``issued_at`` is taken no more."""
        return record in self.records or self.revokes(record, issued_at)


class RecordWatch:
    def __init__(self, doorbell: Doorbell, ask: Coalesced[UUID, Named]) -> None:
        self._doorbell = doorbell
        self._ask = ask
        self._waiting: defaultdict[UUID, dict[asyncio.Future[Named], int | None]] = defaultdict(
            dict
        )
        self._checking: Counter[UUID] = Counter()
        self._asked: frozenset[UUID] = frozenset()
        self._named = Named(frozenset(), 0)
        self._answered: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def until(self, record: UUID, issued_at: int | None) -> Named:
        """The first answer that ends a token of ``record``'s user issued at ``issued_at``
        (``Named.ends``; asked at once, then at every commit)."""
        named: asyncio.Future[Named] = asyncio.get_running_loop().create_future()
        self._waiting[record][named] = issued_at
        self._asked_now()  # what was recorded as the socket opened counts
        try:
            return await named
        finally:
            waiting = self._waiting[record]
            waiting.pop(named, None)
            if not waiting:
                del self._waiting[record]

    async def named_through(self, record: UUID, position: int) -> Named:
        """An answer for ``record`` that holds every event up to ``position``: the last one
        if it does, else the next ask's (asked now)."""
        self._checking[record] += 1
        try:
            while record not in self._asked or self._named.through < position:
                answered = self._answered_event()
                self._asked_now()
                await answered.wait()
            return self._named
        finally:
            self._checking[record] -= 1
            if not self._checking[record]:
                del self._checking[record]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._wake is not None:
            self._doorbell.unbell(self._wake)
            self._wake = None

    def _answered_event(self) -> asyncio.Event:
        if self._answered is None:
            self._answered = asyncio.Event()
        return self._answered

    def _asked_now(self) -> None:
        if self._wake is None:
            self._wake = self._doorbell.bell()
            self._task = asyncio.create_task(self._run(self._wake))
        self._wake.set()

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            asked = frozenset(self._waiting) | frozenset(self._checking)
            if not asked:
                continue
            try:
                named = await self._ask.ask(asked)
            except DomainError:  # the database away: asked again at the next commit (and
                continue  # every new operation is refused until it answers)
            self._asked, self._named = asked, named
            answered, self._answered = self._answered, None
            if answered is not None:
                answered.set()
            for record, waiting in self._waiting.items():
                for waiter, issued_at in waiting.items():
                    if not waiter.done() and named.ends(record, issued_at):
                        waiter.set_result(named)
