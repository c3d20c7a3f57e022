"""Read models whose live generation an earlier derivation built are rebuilt as the projector
starts.

Each model says how its rows are derived (``VERSION``), and each generation records the
version that built it (``projection_generations.version``; a database set up before it was
recorded counts as version 1). An upgrade that changed a model (a new column, a fixed
``apply``, one more event type read) went on serving the rows the old code derived until an
operator remembered ``carecoord rebuild``; nothing said it was needed. Now the projector
rebuilds such a model from the store through the online rebuild (``rebuild.py``), whose
switch catches the new generation up to the store's head. Until then the live generation is
left as the other version left it (``Projector.handle`` applies nothing to it), readers are
refused it (``progress.py``), and ``/health`` names the model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.projector import ReadModel, built_versions, version
from carecoord.projections.rebuild import RebuildRunning, rebuild_all
from carecoord.services.infrastructure.catching_up import REPORT_SECONDS
from carecoord.services.infrastructure.liveness import Liveness
from carecoord.services.infrastructure.store import EventStore

log = logging.getLogger("carecoord.rebuild")

LOOP = "read-model-versions"
"""The loop's name in ``/health``: it rebuilds the outdated models, then ends."""


async def built_with(conn: AsyncConnection, models: Sequence[ReadModel]) -> dict[str, int]:
    """The models whose live generation was built with another version than theirs, each with
    the version that built it."""
    found = await built_versions(conn, [model.NAME for model in models])
    return {
        model.NAME: found[model.NAME]
        for model in models
        if found.get(model.NAME, version(model)) != version(model)
    }


async def rebuild_outdated(
    store: EventStore,
    pool: AsyncConnectionPool,
    models: Sequence[ReadModel],
    liveness: Liveness,
) -> None:
    """Rebuild, in one pass, those of ``models`` an earlier derivation built; none when
    another rebuild holds one of them (it records the version it builds with). The loop's
    last progress in ``/health`` is when it was done."""
    async with pool.connection() as conn:
        outdated = await built_with(conn, models)
    if outdated:
        log.warning(
            "rebuilding read models built by another version",
            extra={
                "code": "READ_MODEL_OUTDATED",
                "read_models": sorted(outdated),
                "built_with": outdated,
                "versions": {m.NAME: version(m) for m in models if m.NAME in outdated},
            },
        )
        try:
            await rebuild_all(
                store,
                pool,
                [model for model in models if model.NAME in outdated],
                on_progress=_Said(sorted(outdated)),
            )
        except RebuildRunning as running:
            log.warning(
                "not rebuilt: another rebuild of it is running",
                extra={"code": "REBUILD_RUNNING", "read_model": running.name},
            )
    liveness.progressed(LOOP)


class _Said:
    """A rebuild's progress in the log every ``REPORT_SECONDS``, as a follower catching up
    says its own."""

    def __init__(self, names: list[str]) -> None:
        self._names = names
        self._said = time.monotonic()

    def __call__(self, at: int, of: int) -> None:
        if time.monotonic() - self._said >= REPORT_SECONDS:
            log.info("rebuilding", extra={"read_models": self._names, "position": at, "head": of})
            self._said = time.monotonic()
