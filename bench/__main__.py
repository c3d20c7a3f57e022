"""``python -m carecoord.bench``: every figure the targets name, in one run on one PostgreSQL.

Uses DATABASE_URL / NATS_URL when set, else embedded servers. Each scenario gets a fresh
database. Prints commands/s, latency percentiles and the ratios against the baselines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg_pool import AsyncConnectionPool

from carecoord.bench import baselines, scenarios
from carecoord.bench.platform import deployed, fresh_database
from carecoord.projections import timeline
from carecoord.projections.rebuild import rebuild
from carecoord.services import embedded
from carecoord.services.bootstrap import Servers
from carecoord.services.store import EventStore


def servers(data_dir: Path) -> Servers:
    database_url = os.environ.get("DATABASE_URL") or embedded.start_postgres(data_dir)
    if os.environ.get("NATS_URL"):
        return Servers(database_url, os.environ["NATS_URL"])
    nats = embedded.start_nats(data_dir)
    return Servers(database_url, nats.url, nats)


def line(label: str, value: str) -> None:
    print(f"  {label:<58} {value}", flush=True)


async def run(args: argparse.Namespace, found: Servers, data_dir: Path) -> None:
    print(
        f"carecoord bench: {args.commands} commands, {args.workers} concurrent, "
        f"{args.api_workers} API processes",
        flush=True,
    )
    with fresh_database(found.database_url) as url:
        lib_one = baselines.library_commands(url, 200, args.commands // 4, threads=1)
    with fresh_database(found.database_url) as url:
        lib = baselines.library_commands(url, 200, args.commands // 2, threads=8)
    with fresh_database(found.database_url) as url:
        raw = baselines.raw_inserts(url, args.commands // 2, threads=8)
    with fresh_database(found.database_url) as url:
        async with deployed(
            url, found.nats_url, data_dir, api_workers=args.api_workers
        ) as deployment:
            clients = scenarios.Clients(deployment)
            await clients.enroll(200)
            await scenarios.commands_through_graphql(clients, 1000, args.workers)  # warm up
            api = await scenarios.commands_through_graphql(clients, args.commands, args.workers)
            await scenarios.wait_projected(deployment)
            from_response, from_send = await scenarios.push_latency(clients, 200, args.seconds)
            client = await asyncio.to_thread(scenarios.seed_history, url, 10_000)
            await scenarios.wait_projected(deployment)
            queries = await scenarios.timeline_queries(deployment, client, 200, args.seconds)
        rebuilt, copied, events = await rebuild_against_copy(url)

    print("\nCommands (dose recorded at the window)")
    line("(a) GraphQL over HTTP, end to end [commands/s]", f"{api:8.0f}")
    line("(b) bare eventsourcing load-decide-save, 1 thread [commands/s]", f"{lib_one:8.0f}")
    line("(b8) the same, 8 threads [commands/s]", f"{lib:8.0f}")
    line("(c) raw INSERT, one row per transaction [rows/s]", f"{raw:8.0f}")
    line("a/b (target >= 2)", f"{api / lib_one:8.2f}")
    line("a/b8", f"{api / lib:8.2f}")
    line("a/c", f"{api / raw:8.2f}")
    print("\nFreshness at 200 commands/s (timeline subscription push)")
    line("(d) mutation response -> pushed to subscriber", from_response.summary())
    line("    mutation sent -> pushed to subscriber", from_send.summary())
    print("\nTimeline query, client with 10,000 events, 200 requests/s")
    line("clientTimeline(first: 50, random page)", queries.summary())
    print(f"\nProjection rebuild ({events} events)")
    line("rebuild from the event store [events/s]", f"{rebuilt:8.0f}")
    line("raw COPY of the same stored events [events/s]", f"{copied:8.0f}")
    line("rebuild / COPY (target >= 0.4)", f"{rebuilt / copied:8.2f}")


async def rebuild_against_copy(url: str) -> tuple[float, float, int]:
    store = EventStore(env=scenarios.store_env_for(url))
    pool = AsyncConnectionPool(url, min_size=1, max_size=4, open=False)
    await pool.open()
    try:
        done = await rebuild(store, pool, timeline)
    finally:
        await pool.close()
        store.close()
    copied = await asyncio.to_thread(copy_events, url)
    return done.rate, copied, done.events


def copy_events(url: str) -> float:
    """COPY the store's own rows out and into a fresh table: moving the bytes, nothing else."""
    with psycopg.connect(url) as src, psycopg.connect(url) as dst:
        dst.execute("CREATE TABLE copied_events (LIKE carecoord_events INCLUDING ALL)")
        dst.commit()
        started = time.perf_counter()
        count = 0
        with (
            src.cursor().copy("COPY carecoord_events TO STDOUT (FORMAT binary)") as out,
            dst.cursor().copy("COPY copied_events FROM STDIN (FORMAT binary)") as into,
        ):
            for chunk in out:
                into.write(chunk)
        dst.commit()
        count = dst.execute("SELECT count(*) FROM copied_events").fetchone()[0]  # type: ignore[index]
        return float(count) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m carecoord.bench", description=__doc__)
    parser.add_argument("--commands", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--api-workers", type=int, default=1, help="API processes (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carecoord-bench-") as tmp:
        found = servers(Path(tmp))
        try:
            asyncio.run(run(args, found, Path(tmp)))
        finally:
            found.stop()


if __name__ == "__main__":
    main()
