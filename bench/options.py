"""What one run measures and how long, and where it runs (shared by every part)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from carecoord.bench.platform import PROCESSES, Deployment, deployed, fresh_database
from carecoord.bench.profiles import recorded
from carecoord.bench.summary import Summary
from carecoord.bench.usage import Processes

PARTS = ("reads", "freshness", "commands", "rebuild", "scale", "scaleout")

FULL_READ_RATES = (
    25, 50, 75, 100, 125, 150, 175, 200, 250, 300, 350, 400, 450, 500, 550, 600, 650, 700, 800
)  # fmt: skip
"""Steps of a quarter or less up to 300/s and a sixth or less from there to 700/s, where the
servers compared here give out (between 150 and 300/s on one machine, between 350 and 600/s
on a faster one): with 150 -> 200 -> 300, a server holding 240/s counted as 200, and with
500 -> 600 one holding 580/s counted as 500; the ratio moved by a step."""
QUICK_READ_RATES = (50, 100, 200, 400, 800)
PUSH_RATES = (25, 50, 100, 200)
READ_WORKERS = os.cpu_count() or 1


@dataclass(frozen=True)
class Options:
    parts: tuple[str, ...] = PARTS
    quick: bool = False
    seconds: float = 5.0
    """How long each offered rate (or closed-loop run) lasts."""
    read_rates: tuple[float, ...] = FULL_READ_RATES
    push_rates: tuple[float, ...] = PUSH_RATES
    subscribers: int = 20
    history: int = 10_000
    """Events of the client whose timeline pages are read."""
    concurrency: int = 64
    """Concurrent clients of the closed-loop command runs."""
    api_workers: int = 1
    read_workers: int = READ_WORKERS
    """API processes of the reads part: reads scale with processes (the scaleout part), and
    writes from several processes to the same clients, as the commands part sends, do not
    yet."""
    scale_events: int = 100_000
    small_store: int = 10_000
    per_client: int = 100
    """Events per client in the scale stores (so 1,000,000 events are 10,000 clients)."""
    scaleout_workers: tuple[int, ...] = (1, 2, 4)
    warm_up: float = 2.0
    """Seconds of load before a measurement (a closed loop's, or pushes' before freshness)."""
    settle: float = 2.0
    """How long after a rate's last mutation a push may still arrive (later is a miss)."""
    probe_seconds: float = 10.0
    """Each latency phase of the scale part (at a low rate)."""
    profile: Path | None = None
    """Where py-spy's records of each measured phase go (none without)."""
    library_commands: int = 3000


@dataclass
class Bench:
    """One run: the servers, the options, the figures gathered so far."""

    database_url: str
    nats_url: str
    data_dir: Path
    options: Options
    summary: Summary = field(default_factory=Summary)
    started: float = field(default_factory=time.perf_counter)

    def say(self, text: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:6.1f} s] {text}", flush=True)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        with fresh_database(self.database_url) as url:
            yield url

    def profiled(
        self, phase: str, processes: Processes
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """py-spy on ``processes`` while the block runs, with ``--profile``."""
        return recorded(self.options.profile, phase, processes)

    @contextlib.asynccontextmanager
    async def platform(
        self,
        url: str,
        *,
        api_workers: int | None = None,
        settings: Mapping[str, str] | None = None,
        parts: Sequence[str] = PROCESSES,
    ) -> AsyncIterator[Deployment]:
        workers = self.options.api_workers if api_workers is None else api_workers
        async with deployed(
            url, self.nats_url, self.data_dir, api_workers=workers, settings=settings, parts=parts
        ) as d:
            yield d
