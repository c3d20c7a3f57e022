"""Live timeline entries for every open subscription of one process: one query per projected
batch for all of them, not one per subscription.

Each subscription watches a client from a position; the feed reads what the timeline view
gained since (one statement for every watch, from the position of the one furthest behind,
and one more for those a full page of a catch-up did not reach) and hands each watch its
client's entries past its own position with the position they run through. A statement
for each position watched from let 500 subscriptions resumed one entry apart read a page
each, one after the other: the process grew from 108 to 669 MB and a push to anyone else
waited 72 s. A watch never misses or repeats a position: it moves on only by what it was
handed, and it is handed more only once its subscription took what it holds: a subscriber
that reads slowly, or not at all (a stalled socket), lags at its own position at the cost
of one batch. A watch far behind (resumed from an old position) catches up
``CATCH_UP_PAGE`` entries at a time, between the batches of the others.

A socket has at most ``IN_FLIGHT_PER_SOCKET`` watches with a batch handed and not yet pushed
(a push is an access decision, an access-log entry, a result built and sent): handed all at
once, the 2,000 subscriptions one user may hold put 2,000 pushes on the event loop, and
another user's push waited behind them, 22-31 s. The rest of that socket's watches wait at
their positions for the next passes, those furthest behind first. A user has at most
``IN_FLIGHT_PER_READER`` across their sockets, so their 20 sockets together queue no more
ahead of another user's push than one socket of theirs once did; and the socket's bound is
below it, so a stalled socket of theirs, whose pushes cannot be sent, holds a few of their
places, not all: counted per user alone, it held every one, and their other sockets were
pushed nothing until it was dropped.

The newest access change of the watched clients is read from the store alongside the rows
(``Probe``: one statement for all, at the same time as theirs), so a subscription decides on
access views that have it without a probe of its own after the rows came; unless they came
while its reader was still taking the last push (``read_at``), when changes recorded since
count too.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from carecoord.projections import timeline
from carecoord.projections.progress import Progress
from carecoord.services.infrastructure.liveness import Liveness, cancel_loops, keep_running

LOOP = "timeline-feed"
PROBED_ALONGSIDE = 64
"""Watched clients up to which every one's access changes are read with the rows, at the
same time; beyond, those of the clients with new rows are read after them (a statement's
cost grows with the clients it probes, most of which gained nothing)."""
IN_FLIGHT_PER_SOCKET = 8
"""Watches of one socket with a batch handed and not yet pushed, at most: what a stalled
socket holds of its user's ``IN_FLIGHT_PER_READER``."""
IN_FLIGHT_PER_READER = 64
"""Watches of one user with a batch handed and not yet pushed, at most, across their sockets:
one user's pushes never queue more than this many subscriptions' ahead of another's."""
CATCH_UP_PAGE = 500
"""Entries read at once for the watches at one position: thirty subscriptions resumed from
the start of a record of 21,000 entries read it whole, each, in one pass of the feed, and
the process grew by 900 MB while every other subscription's push waited 16 s."""


Probe = Callable[[Sequence[UUID]], Awaitable[int]]
"""The newest access change of these clients recorded in the store (``services/gate``)."""


@dataclass(frozen=True, slots=True)
class Appended:
    """A client's entries after the watch's last position, through ``through``, and the
    newest access change of the client recorded by the time they were read (the event
    loop's time as they were asked for: ``read_at``)."""

    entries: list[timeline.Entry]
    through: int
    access_changed: int
    read_at: float


@dataclass(eq=False)
class Watch:
    """One subscription's share of the feed: the batch it was handed and has not taken."""

    client_id: UUID
    reader: str
    """The user it pushes to."""
    socket: int
    """The socket it pushes on (``id`` of its request while it is open)."""
    after: int
    pushed: Callable[[], None]
    """Tells the feed the watch pushed what it took: it may be handed more, as may another
    watch of its socket or its reader."""
    untaken: Appended | None = field(default=None, init=False)
    pushing: bool = field(default=False, init=False)
    """Its subscription took a batch and has not asked for more: it is still pushing it."""
    _handed: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    @property
    def in_flight(self) -> bool:
        """Handed a batch its subscription has not pushed yet."""
        return self.pushing or self.untaken is not None

    async def next(self, timeout: float | None) -> Appended:
        """What the view gained for this client (asking says the last of it was pushed);
        TimeoutError after ``timeout`` seconds."""
        if self.pushing:
            self.pushing = False
            self.pushed()
        async with asyncio.timeout(timeout):  # not wait_for: see doorbell.next_page
            await self._handed.wait()
        self._handed.clear()
        gained, self.untaken = self.untaken, None
        assert gained is not None  # set with the event
        self.pushing = True
        return gained

    def hand(self, gained: Appended) -> None:
        self.untaken = gained
        self._handed.set()


class TimelineFeed:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        progress: Progress,
        liveness: Liveness,
        probe: Probe,
    ) -> None:
        self._pool = pool
        self._probe = probe
        self._progress = progress
        self._liveness = liveness
        self._watches: set[Watch] = set()
        self._joined = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def watch(self, client_id: UUID, after: int, reader: str, socket: int) -> Watch:
        """Entries of ``client_id`` past ``after``, as the view gains them, pushed to the user
        ``reader`` on ``socket``; ``close`` it."""
        if self._task is None:
            self._task = asyncio.create_task(keep_running(LOOP, self._run, self._liveness))
        watch = Watch(client_id, reader, socket, after, self._joined.set)
        self._watches.add(watch)
        self._joined.set()
        return watch

    def close(self, watch: Watch) -> None:
        self._watches.discard(watch)

    async def stop(self) -> None:
        await cancel_loops([self._task])

    async def _run(self) -> None:
        self._liveness.progressed(LOOP)
        while True:
            self._joined.clear()  # a watch that starts or pushed from here on wakes the wait
            through = self._progress.position(timeline.NAME)
            behind = self._next_turns(through)
            if not behind:
                await self._moved(through)
                continue
            while behind:
                behind = await self._hand_over(behind, through)
            self._liveness.progressed(LOOP)

    def _next_turns(self, through: int) -> list[Watch]:
        """The watches behind ``through`` to hand a batch now: as many idle ones as keep
        each socket's batches in flight within ``IN_FLIGHT_PER_SOCKET`` and each reader's
        within ``IN_FLIGHT_PER_READER``, furthest behind first; and those still pushing
        their last (already counted), unless an idle one of their socket or reader waits:
        they then finish and free their place for it."""
        flying = [w for w in self._watches if w.in_flight]
        sockets: Counter[int] = Counter(w.socket for w in flying)
        readers: Counter[str] = Counter(w.reader for w in flying)
        behind = sorted(
            (w for w in self._watches if w.after < through and w.untaken is None),
            key=lambda w: w.after,
        )
        turns: list[Watch] = []
        waiting_sockets: set[int] = set()
        waiting_readers: set[str] = set()
        for watch in behind:
            if watch.pushing:
                continue
            if sockets[watch.socket] >= IN_FLIGHT_PER_SOCKET:
                waiting_sockets.add(watch.socket)
            elif readers[watch.reader] >= IN_FLIGHT_PER_READER:
                waiting_readers.add(watch.reader)
            else:
                sockets[watch.socket] += 1
                readers[watch.reader] += 1
                turns.append(watch)
        turns += [
            w
            for w in behind
            if w.pushing and w.socket not in waiting_sockets and w.reader not in waiting_readers
        ]
        return turns

    async def _hand_over(self, watches: list[Watch], through: int) -> list[Watch]:
        """Hand each of ``watches`` its client's entries past its own position, read by one
        statement from the position of the furthest behind; returns those it did not reach
        (it read a full page, ending before their positions), for the next statement."""
        after = min(w.after for w in watches)
        clients = sorted({w.client_id for w in watches})
        read_at = asyncio.get_running_loop().time()
        rows = timeline.appended(self._pool, clients, after, through, CATCH_UP_PAGE)
        if len(clients) <= PROBED_ALONGSIDE:  # at once: the push waits for both
            found, changed = await asyncio.gather(rows, self._probe(clients))
        else:  # after: only the clients that gained something (none gained: nothing to push)
            found = await rows
            gained = sorted({entry["client_id"] for entry in found})
            changed = await self._probe(gained) if gained else 0
        if len(found) == CATCH_UP_PAGE:  # the rest on the next statement, or the next pass
            through = found[-1]["position"]
        per_client: defaultdict[UUID, list[timeline.Entry]] = defaultdict(list)
        for entry in found:
            per_client[entry["client_id"]].append(entry)
        positions = {c: [e["position"] for e in entries] for c, entries in per_client.items()}
        unreached: list[Watch] = []
        for watch in watches:
            if watch.after >= through:
                unreached.append(watch)
                continue
            entries = per_client.get(watch.client_id, [])
            since = bisect_right(positions.get(watch.client_id, []), watch.after)
            watch.after = through
            watch.hand(Appended(entries[since:], through, changed, read_at))
        return unreached

    async def _moved(self, through: int) -> None:
        """Wait until the view passes ``through`` or a subscription starts watching or has
        pushed its batch."""
        passed = asyncio.ensure_future(self._progress.passed(timeline.NAME, through))
        joined = asyncio.ensure_future(self._joined.wait())
        try:
            await asyncio.wait((passed, joined), return_when=asyncio.FIRST_COMPLETED)
        finally:
            passed.cancel()
            joined.cancel()
