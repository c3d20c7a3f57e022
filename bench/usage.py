"""CPU time and resident memory of the deployment's processes, read from /proc (Linux).

The platform's own processes are the API (with its sibling workers), the relay and the
projector; PostgreSQL's share is the backends connected to the bench's database (the
server may be shared, so its other processes are left out).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process so far (0 when it is gone)."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_bytes(pid: int) -> int:
    try:
        return int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in (PROC / str(pid) / "task").iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def backends_of(database: str) -> list[int]:
    """PostgreSQL backends serving ``database`` (their title names it)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if f" {database} " in title:
                found.append(int(entry.name))
    return found


@dataclass
class Processes:
    """The deployment's processes by part, found again at each reading (workers start late)."""

    parts: dict[str, int]
    database: str

    def pids(self) -> dict[str, list[int]]:
        found = {name: [pid, *children(pid)] for name, pid in self.parts.items()}
        found["postgres"] = backends_of(self.database)
        return found

    def cpu(self) -> dict[str, float]:
        return {name: sum(map(cpu_seconds, pids)) for name, pids in self.pids().items()}

    def rss(self) -> dict[str, int]:
        found = self.pids()
        found.pop("postgres")
        return {name: sum(map(rss_bytes, pids)) for name, pids in found.items()}


@dataclass
class CpuUse:
    """CPU seconds each part spent between ``start`` and ``stop``."""

    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def platform(self) -> float:
        return sum(v for k, v in self.seconds.items() if k != "postgres")

    @property
    def postgres(self) -> float:
        return self.seconds.get("postgres", 0.0)


@contextlib.contextmanager
def cpu_used(processes: Processes) -> Iterator[CpuUse]:
    """CPU spent by each part inside the block (backends that ended in it are not seen)."""
    before = processes.cpu()
    use = CpuUse()
    try:
        yield use
    finally:
        after = processes.cpu()
        use.seconds = {k: max(0.0, after[k] - before.get(k, 0.0)) for k in after}


@dataclass
class MemoryTrace:
    """RSS of each platform part, sampled through a run."""

    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)

    def parts(self) -> list[str]:
        return list(self.samples[0][1]) if self.samples else []

    def series(self, part: str, after: float = 0.0) -> list[int]:
        return [s[part] for t, s in self.samples if t >= after and s.get(part)]

    def drift(self, part: str, after: float = 0.0) -> tuple[int, int, int, float]:
        """(first, lowest, highest, widest change from the first in per cent)."""
        values = self.series(part, after)
        if not values:
            return 0, 0, 0, 0.0
        first = values[0]
        widest = max(abs(v - first) for v in values) / first * 100 if first else 0.0
        return first, min(values), max(values), widest


async def trace_memory(processes: Processes, trace: MemoryTrace, every: float = 0.5) -> None:
    """Sample until cancelled."""
    started = time.monotonic()
    while True:
        trace.samples.append((time.monotonic() - started, processes.rss()))
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def memory_traced(processes: Processes) -> AsyncIterator[MemoryTrace]:
    trace = MemoryTrace()
    task = asyncio.create_task(trace_memory(processes, trace))
    try:
        yield trace
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
