"""Timeline pages kept while the timeline view stands still.

A page's rows are those of one query over the view: the same client, keyset, bounds and
grant's ``Shown`` read the same rows for as long as the view has not moved on (its rows
are only ever inserted, each batch moving its position) nor changed otherwise: a rebuild
switched to, or announcements missed while the listener reconnected (``Progress.version``). Asking
the database again for such a page was a fifth of the API's CPU for a timeline page and
most of PostgreSQL's. The grant they are read under, the free text it shows and the
access-log entry are decided for each read as before; what an entry shows with that text
is built once for it (``shown``).

A write anywhere moves the view on and drops every page kept: under a steady stream of
writes little is kept, and a read costs what it did. Rows at the same position are kept
once, shared by the pages that hold them; both are bounded, and all goes at the bound.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from carecoord.events import Kind
from carecoord.projections import timeline
from carecoord.projections.progress import Progress
from carecoord.projections.rows import Shown

MOST_ROWS = 12_000
"""Distinct rows kept: a 10,000-entry timeline whole. With what each shows a reader
(``MOST_SHOWN``), some 50 MB of the process at most."""
MOST_PAGES = 20_000
MOST_SHOWN = 12_000
"""Rows as shown to a reader (``shown``) kept, all readers together."""

T = TypeVar("T")


class TimelinePages:
    """``timeline.page`` answers of one process, kept for the view state they were read at."""

    def __init__(self) -> None:
        self._state: Hashable = None
        self._pages: dict[Hashable, tuple[timeline.Entry, ...]] = {}
        self._rows: dict[int, timeline.Entry] = {}
        self._shown: dict[tuple[int, Hashable], tuple[timeline.Entry, Any]] = {}

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
    ) -> list[timeline.Entry]:
        """``timeline.page``, read at the view's ``position`` (``readable_position``, asked
        before this): kept from an earlier read of the same page at the same view state."""
        state = (position, progress.version(timeline.NAME))
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
        )
        if state == self._state and (kept := self._pages.get(key)) is not None:
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
        )
        return list(self._keep(state, key, rows))

    def _keep(
        self, state: Hashable, key: Hashable, rows: list[timeline.Entry]
    ) -> tuple[timeline.Entry, ...]:
        full = len(self._rows) + len(rows) > MOST_ROWS or len(self._pages) >= MOST_PAGES
        if state != self._state or full:
            self._pages.clear()
            self._rows.clear()
            self._shown.clear()
            self._state = state
        kept = self._pages[key] = tuple(self._rows.setdefault(r["position"], r) for r in rows)
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
