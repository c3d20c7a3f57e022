"""Applies batches of events to read models, each with its position, in one transaction.

A redelivered or replayed event is at or below the recorded position and changes
nothing, so delivery is at-least-once and the effect exactly-once. Each read model lives
in a generation of tables behind a view; a rebuild fills the next generation and switches
the view (see ``rebuild.py``) while this keeps the current one live.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure import parked, positions
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import Unreadable
from carecoord.services.infrastructure.liveness import error_code

log = logging.getLogger("carecoord.projector")

PROJECTED_CHANNEL = "carecoord_projected"
# Announced as "<name>/changed:<position>" when a batch changed a model that names the
# event types that change it (``CHANGED_BY``): a reader's cache keyed on it stays valid
# while the model only moves on.
CHANGED = "/changed"
# Announced as "<name>/rebuilt:<version>" when a rebuild switched a model's view to a
# generation that version of its derivation built (``rebuild.py``).
REBUILT = "/rebuilt"

PIPELINED_MAX = 32
"""The largest batch sent pipelined (``_pipelined``)."""

NOT_FLUSHED = "SET LOCAL synchronous_commit = off"
"""A batch's commit does not wait for its WAL to reach the disk. Read models are derived
and their positions move in the same transaction, so a crash loses the last batches whole,
rows and positions together, and they are applied again from the store; readers wait for
a view's position, never for its rows (``services/gate``). The wait was a disk flush on
the way from every command to its subscribers' push."""

GENERATIONS_DDL = (
    """
CREATE TABLE IF NOT EXISTS projection_generations (
    name text PRIMARY KEY,
    generation integer NOT NULL,
    version integer NOT NULL DEFAULT 1
)
""",
    # A database an earlier release set up, whose generations were all built as version 1.
    # Looked up first: ALTER TABLE locks the table the live projector reads every batch.
    """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'projection_generations'::regclass
                   AND attname = 'version' AND NOT attisdropped) THEN
        ALTER TABLE projection_generations ADD COLUMN version integer NOT NULL DEFAULT 1;
    END IF;
END $$
""",
)
"""The generation behind each read model's view, and the ``VERSION`` of the code that built
it (``versions.py``)."""


class ReadModel(Protocol):
    """What a projection module provides: its tables and how one batch changes them.

    A module whose rows each come from one event alone may also say how its rows are
    copied in bulk (``COPIED``, a ``generations.Copied``); a rebuild then fills it that way.

    Each module says how its rows are derived (``VERSION``, from 1; ``version``). Changing a
    model raises it: what its rows hold or how they are derived (a column, a fixed ``apply``,
    one more event type read). A projector finding the live generation built with another
    rebuilds the model as it starts (``versions.py``); without the raise the rows derived
    before are served on.
    """

    NAME: str

    def ddl(self, generation: int) -> list[sql.Composed]:
        """The statements that create a generation: its table first, then its indexes."""
        ...

    def table(self, generation: int) -> sql.Identifier: ...

    async def apply(
        self, conn: AsyncConnection, generation: int, batch: Sequence[Positioned]
    ) -> None: ...


def read_by(model: ReadModel) -> tuple[type, ...] | None:
    """The event classes ``model`` reads (``READS`` or ``CHANGED_BY``; their subclasses too);
    None when it says neither, and reads every event."""
    said: tuple[type, ...] | None = getattr(model, "READS", None) or getattr(
        model, "CHANGED_BY", None
    )
    return said


@dataclass
class Projector:
    """Applies each batch to every read model it keeps, in one transaction.

    One feed and one decode per event however many read models there are: a feed per
    model cost a fetch, a decode and a transaction per model for every event. Each model
    still keeps its own position and generation, so a rebuild can switch one of them.
    """

    pool: AsyncConnectionPool
    models: Sequence[ReadModel]
    on_projected: Callable[[str, int], None] | None = None
    name: str = "projections"
    on_applied: Callable[[dict[str, int]], None] | None = None
    """Told, once a batch has committed, how many events each model applied (metrics)."""
    _said_left: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    """The models left to another version, each with that version, as last logged."""

    @property
    def names(self) -> list[str]:
        return [model.NAME for model in self.models]

    async def setup(self, *, only_missing: bool = False) -> None:
        """Create (or bring up to date) every model's tables and view.

        ``only_missing``: a process that does not project (the API) creates them only on a
        fresh database, or one set up before generations recorded their version; DDL on live
        tables would contend with the projector's writes.
        """
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(positions.SCHEMA_LOCK)
            if only_missing and await self._all_present(conn):
                return
            await conn.execute(positions.DDL)
            for table in GENERATIONS_DDL:
                await conn.execute(table)
            # Position rows to lock from the first batch on (a rebuild waits on them).
            await positions.ensure_rows(conn, self.names)
            for model in self.models:
                await conn.execute(
                    "INSERT INTO projection_generations (name, generation, version)"
                    " VALUES (%s, 1, %s) ON CONFLICT (name) DO NOTHING",
                    (model.NAME, version(model)),
                )
                generation = await current_generation(conn, model.NAME)
                for statement in model.ddl(generation):
                    await conn.execute(statement)
                if not await view_points_at(conn, model, generation):
                    await point_view(conn, model, generation)

    async def _all_present(self, conn: AsyncConnection) -> bool:
        cur = await conn.execute(
            "SELECT bool_and(to_regclass(quote_ident(n)) IS NOT NULL) AND EXISTS (SELECT FROM"
            " pg_attribute WHERE attrelid = to_regclass('projection_generations')"
            " AND attname = 'version' AND NOT attisdropped) FROM unnest(%s::text[]) n",
            (self.names,),
        )
        row = await cur.fetchone()
        return bool(row and row[0])

    async def positions(self) -> dict[str, int]:
        """Where each model is now (0 for one that has not started)."""
        async with self.pool.connection() as conn:
            found = await positions.read_many(conn, self.names)
        return {name: found.get(name, 0) for name in self.names}

    async def handle(
        self,
        batch: Sequence[Positioned],
        *,
        set_aside: tuple[type[Exception], ...] = (),
        through: int = 0,
        unreadable: Sequence[Unreadable] = (),
    ) -> dict[str, int]:
        """Apply what is new in ``batch`` to each model; return the positions it moved.

        ``set_aside``: failures of one model on this batch that park the batch's first
        event for that model (the feed passes single events) instead of failing.
        ``through``: the position the batch reaches, past entries it leaves out;
        ``unreadable``: stored entries that did not decode, set aside for every model.
        """
        async with (
            self.pool.connection() as conn,
            conn.pipeline() if _pipelined(batch, set_aside) else contextlib.nullcontext(),
            conn.transaction(),
        ):
            await conn.execute(NOT_FLUSHED)
            # Lock the positions first: a rebuild switching a generation holds its row, and
            # the generation is read only once that switch has committed.
            current = await positions.read_many(conn, self.names, lock=True)
            generations = await live_generations(conn, self.names)
            moved: dict[str, int] = {}
            changed: dict[str, int] = {}
            applied: dict[str, int] = {}
            for model in self.models:
                generation, built = generations.get(model.NAME, (1, version(model)))
                if built != version(model):
                    self._left_alone(model, built)
                    continue
                at = current.get(model.NAME, 0)
                fresh = [item for item in batch if item.position > at]
                lost = [entry for entry in unreadable if entry.position > at]
                if lost:
                    await parked.park_unreadable(conn, model.NAME, lost)
                if through > max(at, fresh[-1].position if fresh else 0):
                    moved[model.NAME] = through
                if fresh:
                    if set_aside:
                        await _apply_or_park(conn, model, generation, fresh, set_aside)
                    else:
                        await model.apply(conn, generation, fresh)
                    crash_point("projector-mid-batch")
                    moved[model.NAME] = max(fresh[-1].position, through)
                    applied[model.NAME] = len(fresh)
                    if _changes(model, fresh):
                        changed[model.NAME + CHANGED] = fresh[-1].position
            if moved:
                await positions.write_many(conn, moved)
                notes = {**changed, **moved}
                await conn.execute(
                    "SELECT pg_notify(%s, note) FROM unnest(%s::text[]) AS note",
                    (PROJECTED_CHANNEL, [f"{name}:{at}" for name, at in notes.items()]),
                )
        if self.on_projected is not None:
            for name, at in {**changed, **moved}.items():
                self.on_projected(name, at)
        if self.on_applied is not None and applied:
            self.on_applied(applied)
        return moved

    def _left_alone(self, model: ReadModel, built: int) -> None:
        """A model whose live generation another version of its derivation built is neither
        applied nor moved: this code's ``apply`` wrote its own rows into that version's
        tables, which readers of that version served as theirs (an earlier release's
        projector still running beside an upgraded one). That version's projector keeps
        it, or the rebuild this one starts catches its new generation up at the switch."""
        if self._said_left.get(model.NAME) != built:
            self._said_left[model.NAME] = built
            log.warning(
                "read model left to the version that built it",
                extra={
                    "code": "READ_MODEL_OTHER_VERSION",
                    "read_model": model.NAME,
                    "built_with": built,
                    "version": version(model),
                },
            )


async def _apply_or_park(
    conn: AsyncConnection,
    model: ReadModel,
    generation: int,
    fresh: Sequence[Positioned],
    set_aside: tuple[type[Exception], ...],
) -> None:
    try:
        async with conn.transaction():  # a savepoint: the other models keep their work
            await model.apply(conn, generation, fresh)
    except set_aside as failure:
        await parked.park(conn, model.NAME, fresh[0], error_code(failure))


def _pipelined(batch: Sequence[Positioned], set_aside: tuple[type[Exception], ...]) -> bool:
    """Whether a batch is sent pipelined: each statement without waiting for the one before
    (one round trip for the writes and the commit), a live push's latency at low rates.
    Not a catch-up's large batch (COPY cannot be pipelined), nor one applied model by model
    (a savepoint's failure must surface inside it, not at the commit)."""
    return not set_aside and len(batch) <= PIPELINED_MAX


def version(model: ReadModel) -> int:
    """The version of how ``model``'s rows are derived: its ``VERSION``, or 1, as every
    generation counts that was built before versions were recorded."""
    said: int = getattr(model, "VERSION", 1)
    return said


def _changes(model: ReadModel, fresh: Sequence[Positioned]) -> bool:
    kinds = getattr(model, "CHANGED_BY", None)
    return kinds is not None and any(isinstance(item.event, kinds) for item in fresh)


async def live_generations(conn: AsyncConnection, names: list[str]) -> dict[str, tuple[int, int]]:
    """Each live generation of ``names`` and the version that built it (``version``)."""
    cur = await conn.execute(
        "SELECT name, generation, version FROM projection_generations WHERE name = ANY(%s)",
        (names,),
    )
    return {str(name): (int(gen), int(built)) for name, gen, built in await cur.fetchall()}


async def current_generations(conn: AsyncConnection, names: list[str]) -> dict[str, int]:
    return {name: gen for name, (gen, _) in (await live_generations(conn, names)).items()}


async def built_versions(conn: AsyncConnection, names: list[str]) -> dict[str, int]:
    """The version that built each live generation of ``names`` (``version``)."""
    return {name: built for name, (_, built) in (await live_generations(conn, names)).items()}


async def current_generation(conn: AsyncConnection, name: str) -> int:
    cur = await conn.execute(
        "SELECT generation FROM projection_generations WHERE name = %s", (name,)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 1


_VIEW_CURRENT = """SELECT EXISTS (SELECT FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE r.ev_class = to_regclass(%(view)s) AND d.refobjid = to_regclass(%(table)s))
  AND (SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
       WHERE attrelid = to_regclass(%(view)s) AND attnum > 0 AND NOT attisdropped)
    = (SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
       WHERE attrelid = to_regclass(%(table)s) AND attnum > 0 AND NOT attisdropped)"""


async def view_points_at(conn: AsyncConnection, model: ReadModel, generation: int) -> bool:
    """Whether ``model``'s view already reads every column of ``generation``'s table.
    Replacing it takes an exclusive lock on the view: every process starting took one on
    each view in turn, waiting behind reads and deadlocking a read of two views
    (the access gate's) that held the later one."""
    cur = await conn.execute(
        _VIEW_CURRENT,
        {
            "view": sql.Identifier(model.NAME).as_string(conn),
            "table": model.table(generation).as_string(conn),
        },
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def point_view(conn: AsyncConnection, model: ReadModel, generation: int) -> None:
    await conn.execute(
        sql.SQL("CREATE OR REPLACE VIEW {} AS SELECT * FROM {}").format(
            sql.Identifier(model.NAME), model.table(generation)
        )
    )
