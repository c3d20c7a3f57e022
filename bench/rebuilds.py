"""Rebuilding every read model from the store, as ``carecoord rebuild <model>`` does one
after another, against a raw COPY of the same stored rows."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass

import psycopg
from psycopg_pool import AsyncConnectionPool

from carecoord.bench.options import Bench
from carecoord.bench.seed import seed, store_env_for
from carecoord.bench.summary import Figure, Target
from carecoord.bench.usage import Processes
from carecoord.projections.models import READ_MODELS
from carecoord.projections.projector import Projector
from carecoord.projections.rebuild import Rebuilt, rebuild
from carecoord.services.infrastructure.store import EventStore


@dataclass(frozen=True)
class AllRebuilt:
    models: list[Rebuilt]
    events: int
    """Events in the store (each model read all of them)."""

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.models)

    @property
    def rate(self) -> float:
        """Store events per second of rebuilding them all: the time to a full rebuild."""
        return self.events / self.seconds if self.seconds else 0.0

    def of(self, name: str) -> Rebuilt:
        return next(m for m in self.models if m.name == name)


async def rebuild_every_model(database_url: str, *, label: str = "rebuild") -> AllRebuilt:
    """Each read model in turn, each reading the whole store, with a progress line."""
    store = EventStore(env=store_env_for(database_url))
    pool = AsyncConnectionPool(database_url, min_size=1, max_size=4, open=False)
    await pool.open()
    # The read models' tables as the platform leaves them once it has run: a rebuild on a
    # database where no projector ever ran records no generation, and the projector later
    # points the view at an empty generation 1 while its position says it is caught up.
    await Projector(pool, READ_MODELS).setup()
    done: list[Rebuilt] = []
    head = store.last_position()
    started = time.perf_counter()
    try:
        for index, model in enumerate(READ_MODELS):

            def show(at: int, of: int, index: int = index, name: str = model.NAME) -> None:
                part = (index + at / max(of, 1)) / len(READ_MODELS)
                elapsed = time.perf_counter() - started
                print(
                    f"\r  {label}: {100 * part:3.0f}% ({name} {at:,}/{of:,}, {elapsed:.0f} s)"
                    + " " * 10,
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

            done.append(await rebuild(store, pool, model, on_progress=show))
    finally:
        print(file=sys.stderr, flush=True)
        await pool.close()
        store.close()
    return AllRebuilt(done, head)


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
        async with bench.profiled("rebuild", Processes({"bench": os.getpid()}, "")):
            rebuilt = await rebuild_every_model(url, label="rebuild every read model")
        copied = await asyncio.to_thread(copy_events, url)
    report(bench, rebuilt, copied)


def report(bench: Bench, rebuilt: AllRebuilt, copied: float) -> None:
    slowest = min(rebuilt.models, key=lambda m: m.rate)
    timeline = rebuilt.of("timeline")
    bench.say(
        f"rebuild: every read model over {rebuilt.events:,} events in {rebuilt.seconds:.1f} s"
        f" ({rebuilt.rate:,.0f} events/s); raw COPY {copied:,.0f} rows/s"
    )
    for model in rebuilt.models:
        bench.summary.notes.append(
            f"rebuild {model.name}: {model.events:,} events in {model.seconds:.1f} s"
            f" ({model.rate:,.0f}/s, {model.rate / copied:.2f} of COPY)"
        )
    bench.summary.add(
        Figure(
            "rebuild",
            f"every read model, one after another, over {rebuilt.events:,} events",
            rebuilt.rate,
            "events/s",
            "raw COPY of the same rows",
            copied,
            Target("rebuild/COPY >= 0.4", ">=", 0.4),
        ),
        Figure(
            "rebuild",
            f"time to rebuild every read model ({len(rebuilt.models)}) over"
            f" {rebuilt.events:,} events",
            rebuilt.seconds,
            "s",
        ),
        Figure("rebuild", "timeline alone", timeline.rate, "events/s", "raw COPY", copied),
        Figure(
            "rebuild", f"slowest model alone ({slowest.name})", slowest.rate, "events/s",
            "raw COPY", copied,
        ),
    )  # fmt: skip
