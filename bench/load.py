"""The load generator: a lean HTTP/1.1 keep-alive client (httpx costs about as much per
request as the server it measures) and the drivers that use it.

``open_loop`` is the one used for latency: calls start at a constant rate whether or not
earlier ones have ended, and each latency is measured from the moment its call was due,
so a server that falls behind shows its queue in the figures (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LIMIT_MS = 50.0
"""The latency bar of the targets: p99 at or under 50 ms."""


IDLE_LIMIT = 2.0
"""A keep-alive connection idle longer is not reused: uvicorn and Node close theirs after 5 s,
and a request sent as the server closes fails for the client, not the server."""


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = time.monotonic()

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def post_json(
        self, path: str, body: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        payload = json.dumps(body).encode()
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\n{auth}Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        self.writer.write(head + payload)
        headers = await self.reader.readuntil(b"\r\n\r\n")
        length, chunked = 0, False
        for line in headers.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        raw = await self._chunked() if chunked else await self.reader.readexactly(length)
        result: dict[str, Any] = json.loads(raw)
        return result

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections, one request at a time each; a new one is opened when all are
    busy (up to ``most``), as a crowd of browsers would."""

    def __init__(self, url: str, most: int = 256) -> None:
        self.url = url
        self.most = most
        self._idle: list[Connection] = []
        self._all: list[Connection] = []
        self._freed = asyncio.Condition()

    @classmethod
    async def open(cls, url: str, size: int, most: int = 256) -> Pool:
        pool = cls(url, most)
        for _ in range(size):
            conn = await Connection.open(url)
            pool._all.append(conn)
            pool._idle.append(conn)
        return pool

    async def _take(self) -> Connection:
        while self._idle:
            conn = self._idle.pop()
            if time.monotonic() - conn.used < IDLE_LIMIT:
                return conn
            self._all.remove(conn)  # the server may be closing it (keep-alive timeout)
            conn.close()
        if len(self._all) < self.most:
            conn = await Connection.open(self.url)
            self._all.append(conn)
            return conn
        async with self._freed:
            await self._freed.wait_for(lambda: bool(self._idle))
            return self._idle.pop()

    async def post_json(
        self, path: str, body: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        conn = await self._take()
        try:
            result = await conn.post_json(path, body, token)
        except BaseException:
            self._all.remove(conn)
            conn.close()
            raise
        conn.used = time.monotonic()
        self._idle.append(conn)
        async with self._freed:
            self._freed.notify()
        return result

    def close(self) -> None:
        for conn in self._all:
            conn.close()


@dataclass
class Latencies:
    samples: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def failed(self, error: BaseException) -> None:
        self.errors += 1
        self.first_error = self.first_error or f"{type(error).__name__}: {error}"[:200]

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p99(self) -> float:
        return self.pct(99)

    @property
    def ok(self) -> bool:
        """Within the bar: p99 at or under 50 ms, and nothing failed."""
        return bool(self.samples) and self.errors == 0 and self.p99 <= LIMIT_MS

    def summary(self) -> str:
        failed = f", {self.errors} failed: {self.first_error}" if self.errors else ""
        return f"p50 {self.p50:7.1f} ms  p99 {self.p99:7.1f} ms  (n={len(self.samples)}{failed})"


async def closed_loop(
    workers: int, count: int, call: Callable[[int, int], Awaitable[None]]
) -> float:
    """``workers`` concurrent callers share ``count`` calls; returns calls per second."""
    counter = iter(range(count))

    async def worker(w: int) -> None:
        for i in counter:
            await call(w, i)

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return count / (time.perf_counter() - started)


async def closed_for(
    workers: int, seconds: float, call: Callable[[int, int], Awaitable[None]]
) -> tuple[float, int]:
    """``workers`` concurrent callers for ``seconds``; returns (calls per second, calls)."""
    deadline = time.perf_counter() + seconds
    done = [0]
    counter = iter(range(1 << 62))

    async def worker(w: int) -> None:
        while time.perf_counter() < deadline:
            await call(w, next(counter))
            done[0] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return done[0] / (time.perf_counter() - started), done[0]


async def open_loop(
    rate: float, seconds: float, call: Callable[[int], Awaitable[object]]
) -> Latencies:
    """Calls due at a constant ``rate`` for ``seconds``; each latency from when it was due.

    ``call`` raises on a failed answer; a call still running 10 s after the last one was
    due counts as failed.
    """
    latencies = Latencies()
    count = max(1, round(rate * seconds))
    started = time.perf_counter()

    async def timed(i: int, due: float) -> None:
        try:
            await call(i)
        except Exception as error:  # counted and reported, not raised
            latencies.failed(error)
        else:
            latencies.add(time.perf_counter() - due)

    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(i, due)))
    _, late = await asyncio.wait(tasks, timeout=10) if tasks else (set(), set())
    for task in late:
        task.cancel()
        latencies.failed(TimeoutError("no answer 10 s after the last call was due"))
    return latencies


@dataclass
class Step:
    rate: float
    latencies: Latencies


@dataclass
class Steps:
    """Latency at each offered rate, and the highest rate held within the bar."""

    target: str
    steps: list[Step] = field(default_factory=list)

    @property
    def held(self) -> float:
        """The highest rate whose p99 stayed within 50 ms. The ladder stops after two rates
        in a row over the bar, so one spike from outside the bench does not end it."""
        return max((s.rate for s in self.steps if s.latencies.ok), default=0.0)

    @property
    def never_failed(self) -> bool:
        """Held at every rate offered: the figure is a lower bound."""
        return bool(self.steps) and all(s.latencies.ok for s in self.steps)

    def at(self, rate: float) -> Latencies | None:
        return next((s.latencies for s in self.steps if s.rate == rate), None)
