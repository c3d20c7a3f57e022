"""Timeline pages kept while their client's timeline stands still.

A page's rows are those of one query over the view: the same client, keyset, bounds and
grant's ``Shown`` read the same rows for as long as that client's timeline has gained no
row (rows are only ever inserted, each batch moving the view's position) and the view has
not changed otherwise: a rebuild switched to, or announcements missed while the listener
reconnected (``Progress.version``). Asking the database again for such a page was a fifth
of the API's CPU for a timeline page and most of PostgreSQL's. The grant they are read
under, the free text it shows and the access-log entry are decided for each read as
before; what an entry shows with that text is built once for it (``shown``).

When the view has moved on, the first read after asks once which clients gained rows
since, and their pages go; the others' stay. Rows at the same position are kept once,
shared by the pages that hold them; both are bounded, and all goes at the bound.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Kind
from carecoord.projections import timeline
from carecoord.projections.progress import Progress
from carecoord.projections.rows import Shown
from carecoord.services.infrastructure.autocommit import autocommitted

MOST_ROWS = 12_000
"""Distinct rows kept: a 10,000-entry timeline whole. With what each shows a reader
(``MOST_SHOWN``), some 50 MB of the process at most."""
MOST_PAGES = 20_000
MOST_SHOWN = 12_000
"""Rows as shown to a reader (``shown``) kept, all readers together."""
MOST_GAINED = 1_000
"""A view moved on by more positions than this drops every page rather than asking which
clients gained rows."""
MOVES_KEPT = 64
"""The view's latest moves remembered, so that a page read as the view moved on is kept
unless its client gained rows meanwhile."""

_GAINED = sql.SQL(
    "SELECT DISTINCT client_id FROM {} WHERE position > %s AND position <= %s"
).format(sql.Identifier(timeline.NAME))

T = TypeVar("T")


class TimelinePages:
    """``timeline.page`` answers of one process, kept for the view position and version
    they were read at, and past it for a client whose timeline has gained no row since."""

    def __init__(self) -> None:
        self._position = 0
        self._version: int | None = None
        self._pages: dict[Hashable, tuple[timeline.Entry, ...]] = {}
        self._by_client: dict[UUID, set[Hashable]] = {}
        self._rows: dict[int, timeline.Entry] = {}
        self._shown: dict[tuple[int, Hashable], tuple[timeline.Entry, Any]] = {}
        self._moves: list[tuple[int, frozenset[UUID]]] = []
        """The latest moves of the view: from which position, and who gained rows."""

    async def page(
        self,
        pool: AsyncConnectionPool,
        progress: Progress,
        position: int,
        client_id: UUID,
        shown: Shown,
        *,
        limit: int,
        kinds: Sequence[Kind] = (),
        occurred_from: datetime | None = None,
        occurred_to: datetime | None = None,
        recorded_until: datetime | None = None,
        after: tuple[datetime, int] | None = None,
        alert_rules: Collection[str] | None = None,
        disclosed: Collection[Kind] | None = None,
    ) -> list[timeline.Entry]:
        """``timeline.page``, read at the view's ``position`` (``readable_position``, asked
        before this, where ``pool`` reads): kept from an earlier read of the same page."""
        version = progress.version(timeline.NAME)
        key = (
            client_id,
            shown,
            limit,
            tuple(kinds),
            occurred_from,
            occurred_to,
            recorded_until,
            after,
            None if alert_rules is None else frozenset(alert_rules),
            None if disclosed is None else frozenset(disclosed),
        )
        # Kept for a later position: at least what this read would have read.
        current = await self._moved_to(pool, position, version)
        if current and (kept := self._pages.get(key)) is not None:
            return list(kept)
        rows = await timeline.page(
            pool,
            client_id,
            shown,
            limit=limit,
            kinds=kinds,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            recorded_until=recorded_until,
            after=after,
            alert_rules=alert_rules,
            disclosed=disclosed,
        )
        gained = self._gained_since(position) if version == self._version else None
        if gained is None or client_id in gained:
            return rows  # the view moved on meanwhile: the rows may lack what it gained
        return list(self._keep(client_id, key, rows))

    async def _moved_to(self, pool: AsyncConnectionPool, position: int, version: int) -> bool:
        """Whether the pages kept answer for a read of the view at ``position`` and
        ``version``: moved on to it, the pages of each client whose timeline gained a row
        since dropped (all, for a new version: a rebuild, a listener reconnect)."""
        if self._version is not None and version < self._version:
            return False  # read before the view changed
        if version != self._version or position - self._position > MOST_GAINED:
            self._drop_all(position, version)
        elif position > self._position:
            gained = frozenset(await clients_gained(pool, self._position, position))
            if version == self._version and position > self._position:
                # Asked from where it stood then; since moved less far, or not at all.
                for client in gained:
                    for key in self._by_client.pop(client, ()):
                        self._pages.pop(key, None)
                self._moves = [*self._moves[1 - MOVES_KEPT :], (self._position, gained)]
                self._position = position
        return version == self._version and position <= self._position

    def _gained_since(self, position: int) -> frozenset[UUID] | None:
        """The clients whose timeline gained rows after ``position`` up to where the pages
        kept stand (a move that spans it counts whole); None when the moves kept do not
        reach back to it."""
        if position >= self._position:
            return frozenset()
        found: set[UUID] = set()
        for since, gained in reversed(self._moves):
            found |= gained
            if since <= position:
                return frozenset(found)
        return None

    def _drop_all(self, position: int, version: int | None) -> None:
        self._pages.clear()
        self._by_client.clear()
        self._rows.clear()
        self._shown.clear()
        self._moves.clear()
        self._position, self._version = position, version

    def _keep(
        self, client_id: UUID, key: Hashable, rows: list[timeline.Entry]
    ) -> tuple[timeline.Entry, ...]:
        if len(self._rows) + len(rows) > MOST_ROWS or len(self._pages) >= MOST_PAGES:
            self._drop_all(self._position, self._version)
        kept = self._pages[key] = tuple(self._rows.setdefault(r["position"], r) for r in rows)
        self._by_client.setdefault(client_id, set()).add(key)
        return kept

    def shown(self, row: timeline.Entry, how: Hashable, make: Callable[[timeline.Entry], T]) -> T:
        """``make(row)``, kept with a row kept here for each ``how`` (the free text a reader's
        grant shows): a page read again builds what it shows of each entry once. Kept for
        that very row only, so a row read before a rebuild never answers for its position
        after it."""
        key = (row["position"], how)
        found = self._shown.get(key)
        if found is not None and found[0] is row:
            value: T = found[1]
            return value
        made = make(row)
        if self._rows.get(row["position"]) is row:
            if len(self._shown) >= MOST_SHOWN:
                self._shown.clear()
            self._shown[key] = (row, made)
        return made


async def clients_gained(pool: AsyncConnectionPool, after: int, through: int) -> list[UUID]:
    """The clients whose timeline gained a row at a position ``after`` < p <= ``through``."""
    async with autocommitted(pool) as conn:
        cur = await conn.execute(_GAINED, (after, through))
        return [client for (client,) in await cur.fetchall()]
