"""A lean HTTP/1.1 keep-alive client and load drivers, so the load generator costs little
CPU next to the server it measures (httpx costs about as much per request as the server)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def post_json(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        payload = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode()
        self.writer.write(head + payload)
        headers = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        result: dict[str, Any] = json.loads(await self.reader.readexactly(length))
        return result

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections handed out one request at a time."""

    def __init__(self, connections: list[Connection]) -> None:
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        for conn in connections:
            self._idle.put_nowait(conn)
        self._all = connections

    @classmethod
    async def open(cls, url: str, size: int) -> Pool:
        return cls([await Connection.open(url) for _ in range(size)])

    async def post_json(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        conn = await self._idle.get()
        try:
            return await conn.post_json(path, body, token)
        finally:
            self._idle.put_nowait(conn)

    def close(self) -> None:
        for conn in self._all:
            conn.close()


@dataclass
class Latencies:
    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def summary(self) -> str:
        return f"p50 {self.pct(50):7.2f} ms  p99 {self.pct(99):7.2f} ms  (n={len(self.samples)})"


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


async def open_loop(
    rate: float, count: int, call: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    """Start ``count`` calls at a fixed ``rate`` per second, whether or not earlier ones ended."""
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(call(i)))
    await asyncio.gather(*tasks)
