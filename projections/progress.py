"""How far the read models have got, as seen by the API: read-your-writes and live pushes.

The projector announces each committed batch (in-process directly, across processes by
NOTIFY); waiters for a position and open subscriptions wake on it.

Announcements come from the primary. When the API reads the views from a streaming replica
(``read_database_url``), a position the primary announced may not have been replayed there
yet: ``reach`` then also waits until the replica's own ``follower_positions`` have it. A
view's position is written in the same transaction as its rows, so the replica has the rows
of every position it shows.

Which version of its derivation built each view is known here too, read as the listener
connects and announced by a rebuild's switch: a view another version built (an upgrade's,
until the projector has rebuilt it) is refused to readers as ``Rebuilding``, never served.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.projector import CHANGED, PROJECTED_CHANNEL, REBUILT, built_versions
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.liveness import Liveness, cancel_loops, keep_running
from carecoord.services.kernel.errors import Unavailable

LOOP = "progress-listener"
REPLICA_POLL_SECONDS = 0.01
"""How often a wait for a streaming replica looks at its positions again (it has no NOTIFY)."""


class Rebuilding(Unavailable, code="READ_MODEL_REBUILDING"):
    """A read of a view whose live rows another version of its derivation built: they may
    lack a column this release reads, or show what it withholds, so nothing is read or
    decided from them. The projector is rebuilding it (``versions.py``); retry."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "readModel",
            "read-model-rebuilding",
            f"the {name} view is being rebuilt for this release; retry in a moment",
            {"readModel": name, "retryable": True},
        )


class Progress:
    def __init__(
        self,
        database_url: str,
        names: list[str],
        liveness: Liveness,
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
        replica: AsyncConnectionPool | None = None,
        derived: Mapping[str, int] | None = None,
    ) -> None:
        """``derived``: this process's version of each view's derivation (``VERSION``); a
        view it does not name is read whichever version built it."""
        self._derived = dict(derived or {})
        self._built: dict[str, int] = {}
        """The version that built each view's live generation, as last read or announced."""
        self._database_url = database_url
        self._replica = replica
        self._replayed = dict.fromkeys(names, 0)
        """Positions the replica was seen to have."""
        self._liveness = liveness
        self._on_reconnect = on_reconnect
        self._listening = False
        self._positions = dict.fromkeys(names, 0)
        self._versions = dict.fromkeys(names, 0)
        self._changed = {name: asyncio.Event() for name in names}
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._database_url) as conn:
            for name in self._positions:
                self.advance(name, await positions.read(conn, name))
            self._built = await built_versions(conn, list(self._positions))
        self._listener = asyncio.create_task(keep_running(LOOP, self._listen, self._liveness))

    async def stop(self) -> None:
        await cancel_loops([self._listener])

    def position(self, name: str) -> int:
        return self._positions[name]

    def version(self, name: str) -> int:
        """Moves on whenever read model ``name`` may have changed content: each announced
        change, and each reconnect of the listener (announcements may have been missed).
        Something cached from the model holds while this stays the same."""
        return self._versions[name]

    def outdated(self, name: str) -> bool:
        """Whether read model ``name``'s live rows another version than this process's
        derived."""
        derived = self._derived.get(name)
        return derived is not None and self._built.get(name, derived) != derived

    def require_current(self, *names: str) -> None:
        """Refuse (``Rebuilding``) a read of any of ``names`` another version built; no
        statement: the versions are known already."""
        for name in names:
            if self.outdated(name):
                raise Rebuilding(name)

    def built(self, name: str) -> int | None:
        """The version known to have built read model ``name``'s live generation."""
        return self._built.get(name)

    def advance(self, name: str, position: int) -> None:
        if name.endswith(REBUILT):
            self._built[name.removesuffix(REBUILT)] = position  # the version, not a position
            return
        if name.endswith(CHANGED):
            model = name.removesuffix(CHANGED)
            if model in self._versions:
                self._versions[model] += 1
            return
        if name in self._positions and position > self._positions[name]:
            self._positions[name] = position
            changed, self._changed[name] = self._changed[name], asyncio.Event()
            changed.set()

    async def passed(self, name: str, after: int) -> int:
        """Wait until read model ``name`` is past ``after``; return where it is."""
        while self._positions[name] <= after:
            await self._changed[name].wait()
        return self._positions[name]

    async def reach(self, name: str, position: int, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until read model ``name`` has ``position``,
        on the replica too when the views are read from one."""
        if self._has(name, position):
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.passed(name, position - 1)
                await self.replayed(name, position)
        return self._has(name, position)

    def _has(self, name: str, position: int) -> bool:
        if self._positions[name] < position:
            return False
        return self._replica is None or self._replayed[name] >= position

    async def replayed(self, name: str, position: int) -> None:
        """Wait until the replica the views are read from has ``position`` of ``name`` (at
        once without a replica)."""
        while self._replica is not None and self._replayed[name] < position:
            if await self.readable_position(name) < position:
                await asyncio.sleep(REPLICA_POLL_SECONDS)

    async def readable_position(self, name: str) -> int:
        """Where read model ``name`` stands for a read starting now: the announced position,
        or with a replica the one it has replayed (the rows read after this have at least
        it)."""
        if self._replica is None:
            return self._positions[name]
        async with self._replica.connection() as conn:
            seen = await positions.read(conn, name)
        self._replayed[name] = max(self._replayed[name], seen)
        return seen

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._database_url, autocommit=True
        ) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(PROJECTED_CHANNEL)))
            # Announcements may have been missed while not listening: cached answers go,
            # and positions are read again.
            for name in self._versions:
                self._versions[name] += 1
            cur = await conn.execute(
                "SELECT name, position FROM follower_positions WHERE name = ANY(%s)",
                (list(self._positions),),
            )
            for name, position in await cur.fetchall():
                self.advance(name, int(position))
            self._built = await built_versions(conn, list(self._positions))
            if self._listening and self._on_reconnect is not None:
                # The listening connection is the first to see the database go; the
                # pools' idle connections died with it.
                await self._on_reconnect()
            self._listening = True
            self._liveness.progressed(LOOP)
            async for note in conn.notifies():
                name, _, position = note.payload.rpartition(":")
                self.advance(name, int(position))
