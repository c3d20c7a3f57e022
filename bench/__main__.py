"""``python -m carecoord.bench``: every figure issue 16 names, each with its peer measured
in the same run and the ratio between them, and whether each target is met.

Parts (``--only`` runs some of them): reads (timeline pages against PostGraphile v4 and
the bare keyset query), freshness (mutation -> subscription push), commands (GraphQL
against the bare eventsourcing library), rebuild (every read model against a raw COPY),
scale (a 10,000-event store against a large one), scaleout (1, 2 and 4 API processes).

Uses DATABASE_URL / NATS_URL when set, else embedded servers. Each part gets fresh
databases and its own deployment: API, relay and projector as separate processes.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import time
import timeit
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType

import psycopg

from carecoord.bench import freshness, reads, rebuilds, scale, scaleout, writes
from carecoord.bench.options import (
    PARTS,
    PUSH_RATES,
    QUICK_READ_RATES,
    READ_WORKERS,
    Bench,
    Options,
)
from carecoord.services.runtime import embedded
from carecoord.services.runtime.bootstrap import Servers
from carecoord.services.runtime.cli import MOST_WORKERS, worker_count

RUNS: dict[str, Callable[[Bench], Awaitable[None]]] = {
    "reads": reads.run,
    "freshness": freshness.run,
    "commands": writes.run,
    "rebuild": rebuilds.run,
    "scale": scale.run,
    "scaleout": scaleout.run,
}
ONE_MILLION = 1_000_000


def servers(data_dir: Path) -> Servers:
    database_url = os.environ.get("DATABASE_URL") or embedded.start_postgres(data_dir)
    if os.environ.get("NATS_URL"):
        return Servers(database_url, os.environ["NATS_URL"])
    nats = embedded.start_nats(data_dir)
    return Servers(database_url, nats.url, nats)


def above_zero(text: str) -> float:
    """A number of seconds or a rate: above 0 and finite (``--seconds -1`` ran the whole
    benchmark, some nine minutes, measuring nothing)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text.strip() or 'nothing'} is not a number above 0")
    return value


def rates(text: str) -> tuple[float, ...]:
    """Rates, comma-separated, each above 0; at least one."""
    given = tuple(above_zero(r) for r in text.split(",") if r.strip())
    if not given:
        raise argparse.ArgumentTypeError("no rate given; e.g. 25,50,100")
    return given


def count(text: str) -> int:
    """A count of events or clients: 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text.strip() or 'nothing'} is not a count of 1 or more")
    return value


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carecoord.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, comma-separated: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="short steps and small stores (about 2 minutes)"
    )
    parser.add_argument(
        "--seconds", type=above_zero, help="each offered rate lasts this long (5; 2)"
    )
    parser.add_argument("--read-rates", type=rates, help="timeline rates to step, req/s")
    parser.add_argument("--push-rates", type=rates, help="dose rates for freshness, cmd/s")
    parser.add_argument(
        "--scale-events",
        type=count,
        help="the large store's events (100,000; 1,000,000 with --only scale; 20,000 quick)",
    )
    parser.add_argument("--history", type=count, help="events of the client read (10,000)")
    parser.add_argument("--concurrency", type=count, help="concurrent command clients (64)")
    parser.add_argument(
        "--api-workers",
        type=worker_count,
        default=1,
        help=f"API processes for commands, 1 to {MOST_WORKERS} (default 1)",
    )
    parser.add_argument(
        "--read-workers",
        type=worker_count,
        default=READ_WORKERS,
        help=f"API processes serving the timeline reads (default one per core: {READ_WORKERS})",
    )
    parser.add_argument("--markdown", type=Path, help="also write the summary table here")
    parser.add_argument(
        "--profile", type=Path, help="record each measured phase with py-spy into this folder"
    )
    return parser


def options_from(args: argparse.Namespace) -> Options:
    parts = tuple(p.strip() for p in args.only.split(",") if p.strip())
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s): {', '.join(sorted(unknown))}; choose from {PARTS}")
    options = Options(
        parts=tuple(p for p in PARTS if p in parts),
        api_workers=args.api_workers,
        read_workers=args.read_workers,
    )
    if args.quick:
        options = replace(
            options,
            quick=True,
            seconds=2.0,
            read_rates=QUICK_READ_RATES,
            push_rates=PUSH_RATES,
            scale_events=20_000,
            library_commands=2000,
            warm_up=1.0,
            settle=1.0,
            probe_seconds=3.0,
        )
    if parts == ("scale",) and not args.quick:
        options = replace(options, scale_events=ONE_MILLION)
    chosen = {
        "seconds": args.seconds,
        "read_rates": args.read_rates,
        "push_rates": args.push_rates,
        "scale_events": args.scale_events,
        "history": args.history,
        "concurrency": args.concurrency,
        "profile": args.profile,
    }
    return replace(options, **{k: v for k, v in chosen.items() if v is not None})


def machine(database_url: str) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(database_url) as conn:
        found = conn.execute("SHOW server_version").fetchone()
    node = "no node"
    if shutil.which("node"):
        node = (
            "node "
            + subprocess.run(
                ["node", "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
        )
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python {platform.python_version()};"
        f" PostgreSQL {found[0] if found else '?'}; {node}; {pace()}"
    )


def pace() -> str:
    """How fast and how busy the machine is as the run starts: the same machine's figures
    move two to three times between runs, with its speed (a shared host) and its load."""
    loop = min(timeit.repeat("sum(range(1000))", number=10_000, repeat=5)) / 10_000
    return (
        f'python -m timeit "sum(range(1000))": {loop * 1e6:.1f} us;'
        f" load average {os.getloadavg()[0]:.2f}"
    )


async def run(options: Options, found: Servers, data_dir: Path) -> Bench:
    bench = Bench(found.database_url, found.nats_url, data_dir, options)
    bench.say(f"carecoord bench on {machine(found.database_url)}")
    bench.say(
        f"parts: {', '.join(options.parts)}; {options.seconds:g} s per rate;"
        f" {options.api_workers} API process(es) outside scaleout,"
        f" {options.read_workers} for the timeline reads" + ("; quick" if options.quick else "")
    )
    if "scale" in options.parts or "rebuild" in options.parts:
        size = f"{options.scale_events:,}"
        default = (
            " (1,000,000 with --only scale or --scale-events)"
            if (options.scale_events < ONE_MILLION)
            else ""
        )
        bench.say(f"large store: {size} events{default}")
    for part in options.parts:
        if part == "rebuild" and "scale" in options.parts:
            continue  # the scale part rebuilds its large store and reports it
        bench.say(f"--- {part}")
        try:
            await RUNS[part](bench)
        except Exception as error:  # one part failing leaves the others
            traceback.print_exc()
            bench.summary.notes.append(f"{part} FAILED: {type(error).__name__}: {error}")
    return bench


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # SIGTERM as Ctrl-C: the run unwinds, so its databases and processes go with it.
    signal.signal(signal.SIGTERM, _interrupt)
    args = arguments().parse_args()
    options = options_from(args)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="carecoord-bench-") as tmp:
        found = servers(Path(tmp))
        try:
            bench = asyncio.run(run(options, found, Path(tmp)))
        finally:
            found.stop()
    minutes, seconds = divmod(time.perf_counter() - started, 60)
    summary = bench.summary
    print("\nSummary (each figure against its peer in this run)\n")
    print(summary.table())
    print("\nTargets\n")
    print(summary.targets() or "  (none measured)")
    for figure in summary.figures:
        if figure.note:
            summary.notes.append(f"{figure.part} {figure.name}: {figure.note}")
    if summary.notes:
        print("\nDetail\n")
        print("\n".join(f"  {note}" for note in summary.notes))
    print(f"\nRun time: {int(minutes)} min {seconds:.0f} s")
    if args.markdown:
        args.markdown.write_text(summary.markdown() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
