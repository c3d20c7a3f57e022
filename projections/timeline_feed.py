"""Live timeline entries for every open subscription of one process: one query per projected
batch for all of them, not one per subscription.

Each subscription watches a client from a position; the feed reads what the timeline view
gained since (one statement for every watch at the same position, so a catch-up from an
older one costs one more) and hands each watch its client's entries with the position they
run through. A watch never misses or repeats a position: it moves on only by what it was
handed, and it is handed more only once its subscription took what it holds: a subscriber
that reads slowly, or not at all (a stalled socket), lags at its own position at the cost
of one batch. A watch far behind (resumed from an old position) catches up
``CATCH_UP_PAGE`` entries at a time, between the batches of the others.

The newest access change of the watched clients is read from the store alongside the rows
(``Probe``: one statement for all, at the same time as theirs), so a subscription decides on
access views that have it without a probe of its own after the rows came; unless they came
while its reader was still taking the last push (``read_at``), when changes recorded since
count too.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
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
    after: int
    taken: Callable[[], None]
    """Tells the feed the watch may be handed more."""
    untaken: Appended | None = field(default=None, init=False)
    _handed: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    async def next(self, timeout: float | None) -> Appended:
        """What the view gained for this client; TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):  # not wait_for: see doorbell.next_page
            await self._handed.wait()
        self._handed.clear()
        gained, self.untaken = self.untaken, None
        assert gained is not None  # set with the event
        self.taken()
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

    def watch(self, client_id: UUID, after: int) -> Watch:
        """Entries of ``client_id`` past ``after``, as the view gains them; ``close`` it."""
        if self._task is None:
            self._task = asyncio.create_task(keep_running(LOOP, self._run, self._liveness))
        watch = Watch(client_id, after, self._joined.set)
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
            self._joined.clear()  # a watch that starts or takes from here on wakes the wait
            through = self._progress.position(timeline.NAME)
            behind: defaultdict[int, list[Watch]] = defaultdict(list)
            for watch in self._watches:
                if watch.after < through and watch.untaken is None:
                    behind[watch.after].append(watch)
            if not behind:
                await self._moved(through)
                continue
            for after, watches in behind.items():
                await self._hand_over(after, through, watches)
            self._liveness.progressed(LOOP)

    async def _hand_over(self, after: int, through: int, watches: list[Watch]) -> None:
        clients = sorted({w.client_id for w in watches})
        read_at = asyncio.get_running_loop().time()
        rows = timeline.appended(self._pool, clients, after, through, CATCH_UP_PAGE)
        if len(clients) <= PROBED_ALONGSIDE:  # at once: the push waits for both
            found, changed = await asyncio.gather(rows, self._probe(clients))
        else:  # after: only the clients that gained something (none gained: nothing to push)
            found = await rows
            gained = sorted({entry["client_id"] for entry in found})
            changed = await self._probe(gained) if gained else 0
        if len(found) == CATCH_UP_PAGE:  # the rest on the feed's next pass
            through = found[-1]["position"]
        per_client: defaultdict[UUID, list[timeline.Entry]] = defaultdict(list)
        for entry in found:
            per_client[entry["client_id"]].append(entry)
        for watch in watches:
            watch.after = through
            watch.hand(Appended(per_client.get(watch.client_id, []), through, changed, read_at))

    async def _moved(self, through: int) -> None:
        """Wait until the view passes ``through`` or a subscription starts watching or takes
        its batch."""
        passed = asyncio.ensure_future(self._progress.passed(timeline.NAME, through))
        joined = asyncio.ensure_future(self._joined.wait())
        try:
            await asyncio.wait((passed, joined), return_when=asyncio.FIRST_COMPLETED)
        finally:
            passed.cancel()
            joined.cancel()
