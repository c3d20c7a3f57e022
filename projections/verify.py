"""Every read model compared with a fresh derivation of it from the store.

A view that drifted from the log (a projection bug, an event set aside, a row edited by
hand) shows here as a digest that differs: per model, and per client, so the difference
is named by its counts and digests, never its content. The models are derived together
into scratch tables in one pass over the store, as a rebuild fills them; then each in turn
is compared with a snapshot of its live tables, the derived one caught up to the position
the snapshot holds, so both sides hold exactly the same events. The live projector does
not wait: digests of a million rows take tens of seconds. The scratch tables go.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.generations import SCRATCH
from carecoord.projections.projector import (
    ReadModel,
    built_versions,
    current_generation,
    current_generations,
    version,
)
from carecoord.projections.rebuild import (
    Progress,
    Target,
    alone,
    create_generations,
    fill,
    fill_in,
    generations_of,
)
from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.store import EventStore

_DIGESTS = """SELECT {}, count(*), md5(string_agg(row_to_json(t)::text, E'\\n'
                                         ORDER BY row_to_json(t)::text))
FROM {} t {}"""

Digests = dict[UUID | None, tuple[int, str]]
"""Per client (``None`` for a model that names no client): how many rows, and the digest
of them all."""


@dataclass(frozen=True)
class Difference:
    """A client whose rows differ between the live model and the derived one (none on the
    side where they have no rows); ``None`` for the rows of a model that names no client."""

    client_id: UUID | None
    live_rows: int
    derived_rows: int
    live_digest: str | None
    derived_digest: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "clientId": None if self.client_id is None else str(self.client_id),
            "liveRows": self.live_rows,
            "derivedRows": self.derived_rows,
            "liveDigest": self.live_digest,
            "derivedDigest": self.derived_digest,
        }


@dataclass(frozen=True)
class Verified:
    name: str
    position: int
    events: int
    clients: int
    rows: int
    """Of the derived model."""
    differences: tuple[Difference, ...]
    live_digest: str
    """Of the whole model: of its clients' digests, in client order."""
    derived_digest: str
    seconds: float
    """Since the verification began (the models are derived together)."""
    live_position: int
    """The live model's position, as the projector and the gate read it."""
    store_head: int
    """The store's newest position, in the same snapshot as the live model's."""
    built_with: int
    """The version of the model that built the live rows (``projections/versions.py``)."""
    derived_with: int
    """This code's version of the model, which derived the rows compared with them."""
    live_clients: int
    live_rows: int
    """Of the live model, in the snapshot compared (``clients`` and ``rows`` are the derived
    model's): a report of a difference names each side's."""

    @property
    def differing(self) -> tuple[UUID | None, ...]:
        return tuple(d.client_id for d in self.differences)

    @property
    def ahead(self) -> bool:
        """The live position is past every stored event: set there by hand, since the
        projector applies only stored events. Its rows may match, yet started again it
        applies nothing up to that position, and the gate takes an access view there as
        holding every access change (a member removed since reads on)."""
        return self.live_position > self.store_head

    @property
    def judged(self) -> bool:
        """Whether this code can judge the live rows: not when a later version of the model
        built them (this code cannot say what that version derives; it would call the rows
        it adds, or no longer writes, a difference, and the rows it leaves alone the same),
        nor when an earlier one did and they differ: until the projector of this release
        rebuilds the model, as it starts, its rows differ wherever the versions derive
        otherwise, which read as a model changed by hand."""
        if self.built_with > self.derived_with:
            return False
        return self.built_with == self.derived_with or not self.differences

    @property
    def intact(self) -> bool:
        return self.judged and not self.differences and not self.ahead

    @property
    def differs(self) -> bool:
        return self.judged and not self.intact

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "intact": self.intact,
            "position": self.position,
            "events": self.events,
            "clients": self.clients,
            "rows": self.rows,
            "liveDigest": self.live_digest,
            "derivedDigest": self.derived_digest,
            "differences": [d.as_json() for d in self.differences],
            "livePosition": self.live_position,
            "storeHead": self.store_head,
            "judged": self.judged,
            "builtWith": self.built_with,
            "derivedWith": self.derived_with,
            "liveClients": self.live_clients,
            "liveRows": self.live_rows,
        }


async def verify(
    store: EventStore,
    pool: AsyncConnectionPool,
    model: ReadModel,
    *,
    on_progress: Progress | None = None,
) -> Verified:
    """Derive ``model`` afresh from the store and compare it with the live one."""
    (found,) = await verify_all(store, pool, [model], on_progress=on_progress)
    return found


async def verify_all(
    store: EventStore,
    pool: AsyncConnectionPool,
    models: Sequence[ReadModel],
    *,
    on_progress: Progress | None = None,
    on_verified: Callable[[Verified], None] | None = None,
) -> list[Verified]:
    """Derive ``models`` in one pass, then compare each with its live model in turn;
    ``VerificationRunning`` at once when another verification holds one of them."""
    names = [model.NAME for model in models]
    async with alone(pool, "carecoord.verify", names, VerificationRunning):
        return await _verify_all(store, pool, models, on_progress, on_verified)


class VerificationRunning(RuntimeError):
    """Another verification of the read model is running: both derive it into the same
    scratch tables, so each would compare the other's half-filled rows (a timeline of
    200,000 entries reported as differing for every client) or meet them gone."""

    def __init__(self, name: str) -> None:
        super().__init__(f"another verification of {name} is running")
        self.name = name


async def _verify_all(
    store: EventStore,
    pool: AsyncConnectionPool,
    models: Sequence[ReadModel],
    on_progress: Progress | None,
    on_verified: Callable[[Verified], None] | None,
) -> list[Verified]:
    started = time.perf_counter()
    names = [model.NAME for model in models]
    async with pool.connection() as conn:
        current = await current_generations(conn, names)
        live = await positions.read_many(conn, names)
    targets = [Target(m, SCRATCH + current.get(m.NAME, 1)) for m in models]
    try:
        await create_generations(pool, targets)
        # No further than every live model has got, so none is ahead of its live one.
        until = min((live.get(name, 0) for name in names), default=0)
        # Entries that do not decode are left out, as the live projector leaves them out.
        filled = await fill(store, pool, targets, 0, until, on_progress)
        found = []
        for target in targets:
            verified = await _compare(store, pool, target, filled.reached, filled.read, started)
            if on_verified is not None:
                on_verified(verified)
            found.append(verified)
        return found
    finally:
        await _drop_scratch(pool, [target.model for target in targets])


async def _drop_scratch(pool: AsyncConnectionPool, models: Sequence[ReadModel]) -> None:
    """Every scratch table of ``models``: this verification's, and any that one killed
    before left (a whole copy of a model's rows each, kept for good)."""
    async with pool.connection() as conn:
        for model in models:
            for generation in await generations_of(conn, model.NAME):
                if generation >= SCRATCH:
                    drop = sql.SQL("DROP TABLE IF EXISTS {}").format(model.table(generation))
                    await conn.execute(drop)


async def _compare(
    store: EventStore,
    pool: AsyncConnectionPool,
    target: Target,
    reached: int,
    read: int,
    started: float,
) -> Verified:
    async with pool.connection() as conn, conn.transaction():
        # A snapshot of the live model: its position and its rows as of that moment (the
        # projector writes both in one transaction, and need not wait for the digests).
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        live = await positions.read(conn, target.name)
        head = await store.last_position_on(conn)
        generation = await current_generation(conn, target.name)
        built = await built_versions(conn, [target.name])
        live_digests, (derived, more) = await asyncio.gather(
            _digests(conn, target.model.table(generation)),
            _caught_up(store, pool, target, reached, live),
        )
    return Verified(
        target.name,
        max(reached, live),
        read + more,
        *_held(derived),
        _differences(live_digests, derived),
        _whole(live_digests),
        _whole(derived),
        time.perf_counter() - started,
        live,
        head,
        built.get(target.name, version(target.model)),
        version(target.model),
        *_held(live_digests),
    )


def _held(digests: Digests) -> tuple[int, int]:
    """How many clients a model's rows name, and how many rows it holds."""
    return sum(client is not None for client in digests), sum(n for n, _ in digests.values())


async def _caught_up(
    store: EventStore, pool: AsyncConnectionPool, target: Target, after: int, until: int
) -> tuple[Digests, int]:
    """The derived model's digests once it holds the events up to ``until``, and how many
    more events that took."""
    async with pool.connection() as conn:
        async with conn.transaction():
            took, _ = await fill_in(conn, store, [target], after, {target.name: until})
        return await _digests(conn, target.model.table(target.generation)), took[target.name]


async def _digests(conn: AsyncConnection, table: sql.Composable) -> Digests:
    described = await conn.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(table))
    if any(column.name == "client_id" for column in described.description or ()):
        key, group = sql.SQL("client_id"), sql.SQL("GROUP BY client_id")
    else:
        key, group = sql.SQL("NULL::uuid"), sql.SQL("")
    cur = await conn.execute(sql.SQL(_DIGESTS).format(key, table, group))
    return {
        client: (int(rows), str(digest))
        for client, rows, digest in await cur.fetchall()
        if rows  # a model without clients answers one row, even when it is empty
    }


def _differences(live: Digests, derived: Digests) -> tuple[Difference, ...]:
    found = []
    for client in sorted(live.keys() | derived.keys(), key=str):
        if live.get(client) != derived.get(client):
            live_rows, live_digest = live.get(client, (0, None))
            derived_rows, derived_digest = derived.get(client, (0, None))
            found.append(Difference(client, live_rows, derived_rows, live_digest, derived_digest))
    return tuple(found)


def _whole(digests: Digests) -> str:
    ordered = sorted(digests.items(), key=lambda each: str(each[0]))
    lines = "".join(f"{client} {digest}\n" for client, (_, digest) in ordered)
    return hashlib.md5(lines.encode(), usedforsecurity=False).hexdigest()
