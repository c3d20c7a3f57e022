"""Rebuilding every read model from the store in one pass, as ``carecoord rebuild`` rebuilds
one, against a raw COPY of the same stored rows; each read model alone, the timeline among
them; and verifying every read model against a fresh derivation (``carecoord audit
projections``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

import psycopg
from psycopg_pool import AsyncConnectionPool

from carecoord.bench.options import Bench
from carecoord.bench.seed import seed, store_env_for
from carecoord.bench.summary import Figure, Target
from carecoord.bench.usage import Processes
from carecoord.projections import timeline
from carecoord.projections.models import READ_MODELS
from carecoord.projections.projector import Projector, ReadModel
from carecoord.projections.rebuild import rebuild_all
from carecoord.projections.verify import verify_all
from carecoord.services.infrastructure.store import EventStore


@dataclass(frozen=True)
class Rebuilt:
    models: int
    events: int
    """Events in the store (read once for all the models)."""
    seconds: float

    @property
    def rate(self) -> float:
        """Store events per second of rebuilding the models: the time to a full rebuild."""
        return self.events / self.seconds if self.seconds else 0.0


async def rebuild_models(
    database_url: str, models: Sequence[ReadModel] = READ_MODELS, *, label: str = "rebuild"
) -> Rebuilt:
    """``models`` (every read model unless told) in one pass, with a progress line."""
    async with opened(database_url) as (store, pool):
        with Line(label) as show:
            done = await rebuild_all(store, pool, models, on_progress=show)
    return Rebuilt(len(done), done[0].events, done[0].seconds)


async def verify_models(database_url: str, *, label: str = "verify") -> Rebuilt:
    """Every read model derived afresh and compared with the live one, as ``carecoord audit
    projections`` does; each must be the same."""
    async with opened(database_url) as (store, pool):
        started = time.perf_counter()
        with Line(label) as show:
            found = await verify_all(store, pool, READ_MODELS, on_progress=show)
    differing = [v.name for v in found if not v.intact]
    assert not differing, f"read models differ from their derivation: {differing}"
    return Rebuilt(len(found), found[0].events, time.perf_counter() - started)


@contextlib.asynccontextmanager
async def opened(database_url: str) -> AsyncIterator[tuple[EventStore, AsyncConnectionPool]]:
    store = EventStore(env=store_env_for(database_url))
    pool = AsyncConnectionPool(database_url, min_size=1, max_size=4, open=False)
    await pool.open()
    try:
        # The read models' tables as the platform leaves them once it has run: a rebuild on
        # a database where no projector ever ran records no generation, and the projector
        # later points the view at an empty generation 1 while its position says it is
        # caught up.
        await Projector(pool, READ_MODELS).setup()
        yield store, pool
    finally:
        await pool.close()
        store.close()


class Line:
    """A progress line on stderr, rewritten after each page, ended on leaving."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()

    def __enter__(self) -> Line:
        return self

    def __exit__(self, *_: object) -> None:
        print(file=sys.stderr, flush=True)

    def __call__(self, at: int, of: int) -> None:
        elapsed = time.perf_counter() - self.started
        print(
            f"\r  {self.label}: {100 * at / max(of, 1):3.0f}% ({at:,}/{of:,}, {elapsed:.0f} s,"
            f" {at / max(elapsed, 1e-9):,.0f} events/s)" + " " * 10,
            end="",
            file=sys.stderr,
            flush=True,
        )


def copy_events(database_url: str) -> float:
    """COPY the store's own rows out and into a fresh table with the same indexes: moving
    the bytes and indexing them, nothing else. Returns rows per second."""
    with psycopg.connect(database_url) as src, psycopg.connect(database_url) as dst:
        dst.execute("DROP TABLE IF EXISTS copied_events")
        dst.execute("CREATE TABLE copied_events (LIKE carecoord_events INCLUDING ALL)")
        dst.commit()
        started = time.perf_counter()
        with (
            src.cursor().copy("COPY carecoord_events TO STDOUT (FORMAT binary)") as out,
            dst.cursor().copy("COPY copied_events FROM STDIN (FORMAT binary)") as into,
        ):
            for chunk in out:
                into.write(chunk)
        dst.commit()
        seconds = time.perf_counter() - started
        row = dst.execute("SELECT count(*) FROM copied_events").fetchone()
        dst.execute("DROP TABLE copied_events")
        dst.commit()
        return float(row[0] if row else 0) / seconds


async def run(bench: Bench) -> None:
    """The rebuild part alone, on a store of its own (the scale part measures the same on
    its large store when both run)."""
    events = bench.options.scale_events
    per = bench.options.per_client
    with bench.database() as url:
        bench.say(f"rebuild: seeding {events:,} events")
        await asyncio.to_thread(
            seed, url, clients=max(1, events // per), events_per_client=per, label="store"
        )
        await measure(bench, url)


async def measure(bench: Bench, url: str) -> None:
    """Every read model, each alone, the verification, the COPY of the same rows."""
    async with bench.profiled("rebuild", Processes({"bench": os.getpid()}, "")):
        every = await rebuild_models(url, label="rebuild every read model")
    # Which models the pass spends its time on: it shows no model's share of it.
    each = {
        model.NAME: await rebuild_models(url, [model], label=f"rebuild {model.NAME}")
        for model in READ_MODELS
    }
    async with bench.profiled("verify", Processes({"bench": os.getpid()}, "")):
        verified = await verify_models(url, label="verify every read model")
    copied = await asyncio.to_thread(copy_events, url)
    report(bench, every, each, verified, copied)


def slowest_first(each: Mapping[str, Rebuilt]) -> str:
    """Each model's rebuild alone, the slowest first: reading the store is in every one."""
    return ", ".join(
        f"{name} {one.seconds:.2f} s ({one.rate:,.0f} events/s)"
        for name, one in sorted(each.items(), key=lambda item: -item[1].seconds)
    )


def report(
    bench: Bench, every: Rebuilt, each: Mapping[str, Rebuilt], verified: Rebuilt, copied: float
) -> None:
    alone = each[timeline.NAME]
    bench.say(
        f"rebuild: every read model over {every.events:,} events in {every.seconds:.1f} s"
        f" ({every.rate:,.0f} events/s); the timeline alone {alone.seconds:.1f} s"
        f" ({alone.rate:,.0f} events/s); verified in {verified.seconds:.1f} s"
        f" ({verified.rate:,.0f} events/s); raw COPY {copied:,.0f} rows/s"
    )
    bench.say(f"rebuild: each read model alone, slowest first: {slowest_first(each)}")
    bench.summary.add(
        Figure(
            "rebuild",
            f"every read model ({every.models}), one pass, over {every.events:,} events",
            every.rate,
            "events/s",
            "raw COPY of the same rows",
            copied,
            Target("rebuild/COPY >= 0.4", ">=", 0.4),
        ),
        Figure(
            "rebuild",
            f"time to rebuild every read model ({every.models}) over {every.events:,} events",
            every.seconds,
            "s",
        ),
        Figure("rebuild", "timeline alone", alone.rate, "events/s", "raw COPY", copied),
        Figure(
            "rebuild",
            f"verify every read model against a fresh derivation over {every.events:,} events",
            verified.rate,
            "events/s",
            "rebuild of every read model",
            every.rate,
        ),
    )
