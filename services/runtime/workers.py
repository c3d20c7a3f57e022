"""Several API processes on one port: the GraphQL layer is CPU-bound Python, one core each.

Every worker is a whole API process (its own pools, command bus, aggregate cache and
progress listener); the kernel spreads connections across them (SO_REUSEPORT). Workers
writing the same clients do not fight, as API replicas in separate containers do not: each
hears the others' commits and brings its cached aggregates up to date before deciding
(``services/infrastructure/cache_freshness.py``), and the store's version check still
makes a command decided at the same moment as another's run again.

The parent serves only once every sibling does: the kernel hands each connection to a
socket listening at that moment, so the first connections after start all reached the
parent while its siblings still imported, and kept it (keep-alive) while they idled.

While it serves, the parent starts a new sibling in place of one that ends (killed, out of
memory), as ``--workers`` of gunicorn or uvicorn does: unnoticed, the API served on at part
of its capacity with ``/health`` saying ok, so no supervisor acted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

from carecoord.services.infrastructure.children import die_with
from carecoord.services.runtime.bootstrap import Servers

WORKER_ENV = "CARECOORD_API_WORKER"
PARENT_ENV = "CARECOORD_API_PARENT"
"""The pid of the API process that started a sibling, which the sibling ends with."""
READY_FD_ENV = "CARECOORD_API_READY_FD"
"""The pipe a sibling writes one byte to once it serves (``announce_serving``)."""
REAPED_SECONDS = 5.0
"""How long a sibling that closed its end of the pipe is waited for, for its exit code."""
WATCH_SECONDS = 1.0
"""How often the serving parent looks for a sibling that ended."""

log = logging.getLogger("carecoord.workers")


def listening_socket(host: str, port: int, *, join: bool = False) -> socket.socket:
    """A listening socket that sibling workers can bind to as well (``join``: a sibling's).

    Any other first makes sure no one listens there: with SO_REUSEPORT alone a second
    platform (another data directory, another database) bound beside the first, and the
    kernel spread the care team's requests between the two."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if not join:  # a socket without SO_REUSEPORT cannot bind where any socket listens
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            port = probe.getsockname()[1]  # the one the kernel chose for 0
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off only on sockets that say they are
    # TCP, and with Nagle on every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Siblings:
    """The sibling processes, started alike, and the read end of the pipe the first ones say
    they serve on."""

    def __init__(self, command: list[str], env: dict[str, str], count: int) -> None:
        self._command, self._env = command, env
        self.processes: list[subprocess.Popen[bytes]] = []
        self._ready: int | None = self._start(count)

    def _start(self, count: int) -> int:
        """Start ``count`` siblings; the read end of the pipe they say they serve on."""
        ready, told = os.pipe()
        env = {**self._env, READY_FD_ENV: str(told)}
        try:
            self.processes += [
                subprocess.Popen(  # noqa: S603
                    self._command,
                    env=env,
                    pass_fds=(told,),
                )
                for _ in range(count)
            ]
        finally:
            os.close(told)  # the siblings' copies alone: the pipe ends when the last one does
        return ready

    async def serving(self) -> None:
        """Until every sibling serves; exit 1 naming one that ended before it did."""
        if self._ready is not None:
            ready, self._ready = self._ready, None  # the pipe's now
            failed = await _announced(ready, list(self.processes), "an API worker")
            if failed is not None:
                raise SystemExit(failed)

    async def watch(self) -> str:
        """Start a sibling in place of each that ends, until one started so ends before it
        serves (a crash loop is not hidden): why the API ends then."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            for ended in [p for p in self.processes if p.poll() is not None]:
                self.processes.remove(ended)
                ready = self._start(1)
                new = self.processes[-1]
                log.warning(
                    "API worker ended; another started in its place",
                    extra={
                        "code": "API_WORKER_ENDED",
                        "pid": ended.pid,
                        **ending(ended.returncode),
                        "new_pid": new.pid,
                    },
                )
                named = f"API worker {new.pid} (in place of {ended.pid})"
                failed = await _announced(ready, [new], named)
                if failed is not None:
                    return failed

    def close(self) -> None:
        if self._ready is not None:
            os.close(self._ready)
            self._ready = None


async def _announced(ready: int, started: list[subprocess.Popen[bytes]], named: str) -> str | None:
    """Until each of ``started`` says it serves on ``ready`` (closed here); or why not: one
    ended before it did (its end of the pipe closed with it)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    pipe = os.fdopen(ready, "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    try:
        await reader.readexactly(len(started))
    except asyncio.IncompleteReadError:
        code = await asyncio.to_thread(_exit_code, started)
        return f"carecoord: {named} ended (exit {code}) before it served; its log says why"
    finally:
        transport.close()
    return None


def _exit_code(started: list[subprocess.Popen[bytes]]) -> int | None:
    """The exit code of the one of ``started`` that closed its end of the pipe: it closes as
    the process exits, a moment before the process can be waited for (read at once, it was
    ``None``), so it is waited for up to ``REAPED_SECONDS``."""
    deadline = time.monotonic() + REAPED_SECONDS
    while True:
        for process in started:
            if process.poll() is not None:
                return process.returncode
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def ending(code: int) -> dict[str, int | str]:
    """How a process ended, for a log line: its exit code, or the signal that killed it."""
    if code >= 0:
        return {"exit": code}
    with contextlib.suppress(ValueError):  # a real-time signal has no name of its own
        return {"signal": signal.Signals(-code).name}
    return {"signal": -code}


@contextlib.contextmanager
def siblings(count: int, argv: Sequence[str], servers: Servers) -> Iterator[Siblings]:
    """Start ``count`` more API processes with these arguments; stop them (and any started
    in place of one that ended) on the way out."""
    env = dict(os.environ)
    # The same servers as this process, embedded ones included, and no further spawning.
    env.update(DATABASE_URL=servers.database_url, NATS_URL=servers.nats_url)
    env[WORKER_ENV] = "1"
    env[PARENT_ENV] = str(os.getpid())
    command = [sys.executable, "-m", "carecoord.services.runtime.cli", *argv]
    started = Siblings(command, env, count)
    try:
        yield started
    finally:
        started.close()
        for worker in started.processes:
            worker.terminate()
        for worker in started.processes:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()


def announce_serving() -> None:
    """A sibling tells its parent it serves, once; a process started alone has no one to tell."""
    told = os.environ.pop(READY_FD_ENV, None)
    # Only a sibling was handed the pipe: in any other process the variable is no one's,
    # and a descriptor named by it is not to be written to.
    if told is None or not is_sibling() or not (told.isdigit() and len(told) <= 9):
        return
    with contextlib.suppress(OSError):  # the parent gone: it dies with its parent anyway
        os.write(int(told), b".")
        os.close(int(told))


def end_with_parent() -> None:
    """A sibling ends (SIGTERM, a graceful stop) when the API process that started it does,
    however that one ends: left behind, it would hold the port for ever. Armed by the
    sibling as it starts, not between fork and exec (``preexec_fn``), which is not safe in
    the parent's threads (``children.die_with``)."""
    parent = os.environ.get(PARENT_ENV, "")
    if is_sibling() and parent.isdigit() and len(parent) <= 9:
        die_with(int(parent), signal.SIGTERM)


def is_sibling() -> bool:
    return os.environ.get(WORKER_ENV) == "1"
