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
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence

from carecoord.services.infrastructure.children import die_with_parent
from carecoord.services.runtime.bootstrap import Servers

WORKER_ENV = "CARECOORD_API_WORKER"
READY_FD_ENV = "CARECOORD_API_READY_FD"
"""The pipe a sibling writes one byte to once it serves (``announce_serving``)."""


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
    """The sibling processes, and the read end of the pipe each says it serves on."""

    def __init__(self, processes: list[subprocess.Popen[bytes]], ready: int) -> None:
        self.processes = processes
        self._ready: int | None = ready

    async def serving(self) -> None:
        """Until every sibling serves; exit 1 naming one that ended before it did (its
        end of the pipe closed with it)."""
        if self._ready is None:
            return
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        pipe = os.fdopen(self._ready, "rb", buffering=0)
        self._ready = None  # the pipe's now
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe
        )
        try:
            await reader.readexactly(len(self.processes))
        except asyncio.IncompleteReadError:
            ended = [p for p in self.processes if p.poll() is not None]
            code = ended[0].returncode if ended else None
            raise SystemExit(
                f"carecoord: an API worker ended (exit {code}) before it served; its log says why"
            ) from None
        finally:
            transport.close()

    def close(self) -> None:
        if self._ready is not None:
            os.close(self._ready)
            self._ready = None


@contextlib.contextmanager
def siblings(count: int, argv: Sequence[str], servers: Servers) -> Iterator[Siblings]:
    """Start ``count`` more API processes with these arguments; stop them on the way out."""
    env = dict(os.environ)
    # The same servers as this process, embedded ones included, and no further spawning.
    env.update(DATABASE_URL=servers.database_url, NATS_URL=servers.nats_url)
    env[WORKER_ENV] = "1"
    ready, told = os.pipe()
    env[READY_FD_ENV] = str(told)
    command = [sys.executable, "-m", "carecoord.services.runtime.cli", *argv]
    # A sibling left behind by a killed parent would hold the port forever.
    die_with_us = die_with_parent(signal.SIGTERM)
    try:
        workers = [
            subprocess.Popen(command, env=env, preexec_fn=die_with_us, pass_fds=(told,))  # noqa: S603, PLW1509
            for _ in range(count)
        ]
    finally:
        os.close(told)  # the siblings' copies alone: the pipe ends when the last one does
    started = Siblings(workers, ready)
    try:
        yield started
    finally:
        started.close()
        for worker in workers:
            worker.terminate()
        for worker in workers:
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


def is_sibling() -> bool:
    return os.environ.get(WORKER_ENV) == "1"
