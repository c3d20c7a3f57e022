"""Planner statistics of the read models once the live projector has caught up on a backlog.

A rebuild ANALYZEs the tables it fills (``rebuild._ready``). The live projector catching up
on a large backlog (a new deployment on an existing store, a long stop) fills its tables as
much and left them unsampled: where autovacuum is off or slow, a timeline page from the
middle took 8-30 ms instead of 0.1 ms, planned on guesses. So once a catch-up ends (a page
not full after full ones), each model its events grew by more than ``ANALYZE_AT_LEAST``
rows and by more than ``ANALYZE_GROWTH`` of what its table held when last sampled is
ANALYZEd, once, beside the feed: as autovacuum's analyze threshold, with the events the
model reads counted for the rows they change. A projector keeping up counts nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.positioned import Positioned
from carecoord.projections.projector import ReadModel, current_generations, read_by
from carecoord.services.infrastructure.autocommit import autocommitted

log = logging.getLogger("carecoord.projector")

ANALYZE_AT_LEAST = 1000
"""The fewest rows (events a model reads) a catch-up adds for the model's table to be sampled."""
ANALYZE_GROWTH = 0.1
"""The share of the rows a table held when last sampled a catch-up adds for it to be sampled
again (autovacuum's ``autovacuum_analyze_scale_factor``); a table never sampled held none."""


@dataclass
class CatchUpGrowth:
    """What a catch-up added to each model, counted from the pages it read."""

    pool: AsyncConnectionPool
    models: Sequence[ReadModel]
    _grown: Counter[str] = field(default_factory=Counter, init=False)

    def page(self, events: Sequence[Positioned], *, full: bool) -> Coroutine[Any, Any, None] | None:
        """Count a full page's events (a catch-up's) for the models that read them; on the
        first page not full after them, the ANALYZE of the models grown enough, to run
        beside the feed."""
        if full:
            # Each event's class counted once, not each event looked at once a model.
            kinds = Counter(type(i.event) for i in events)
            for model in self.models:
                reads = read_by(model)
                self._grown[model.NAME] += (
                    len(events)
                    if reads is None
                    else sum(n for kind, n in kinds.items() if issubclass(kind, reads))
                )
            return None
        if not self._grown:
            return None
        grown, self._grown = self._grown, Counter()
        models = [m for m in self.models if grown[m.NAME] > ANALYZE_AT_LEAST]
        return _analyzed(self.pool, models, grown) if models else None


_SAMPLED = "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = to_regclass(%s)"
"""The rows a table held when last sampled (-1: never, since PostgreSQL 14)."""


async def _analyzed(
    pool: AsyncConnectionPool, models: Sequence[ReadModel], grown: Counter[str]
) -> None:
    """ANALYZE the live table of each of ``models`` that ``grown`` adds more than
    ``ANALYZE_GROWTH`` to, each in a transaction of its own (a rebuild's switch waits on
    none longer than its own). A failure is logged, not raised: the feed goes on."""
    try:
        async with autocommitted(pool) as conn:
            live = await current_generations(conn, [m.NAME for m in models])
            for model in models:
                table = model.table(live.get(model.NAME, 1))
                if grown[model.NAME] > ANALYZE_GROWTH * await _sampled(conn, table):
                    await conn.execute(sql.SQL("ANALYZE {}").format(table))
                    log.info(
                        "read model analyzed after its catch-up",
                        extra={"read_model": model.NAME, "events_read": grown[model.NAME]},
                    )
    except psycopg.Error as failure:
        log.warning(
            "read models not analyzed after their catch-up",
            extra={"code": "READ_MODEL_NOT_ANALYZED", "error": str(failure)},
        )


async def _sampled(conn: AsyncConnection, table: sql.Identifier) -> float:
    cur = await conn.execute(_SAMPLED, (table.as_string(conn),))
    row = await cur.fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0
