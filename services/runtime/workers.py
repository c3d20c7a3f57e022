"""Several API processes on one port: the GraphQL layer is CPU-bound Python, one core each.

Every worker is a whole API process (its own pools, command bus, aggregate cache and
progress listener); the kernel spreads connections across them (SO_REUSEPORT). Workers
writing the same clients do not fight, as API replicas in separate containers do not: each
hears the others' commits and brings its cached aggregates up to date before deciding
(``services/infrastructure/cache_freshness.py``), and the store's version check still
makes a command decided at the same moment as another's run again.
"""

from __future__ import annotations

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


@contextlib.contextmanager
def siblings(count: int, argv: Sequence[str], servers: Servers) -> Iterator[None]:
    """Start ``count`` more API processes with these arguments; stop them on the way out."""
    env = dict(os.environ)
    # The same servers as this process, embedded ones included, and no further spawning.
    env.update(DATABASE_URL=servers.database_url, NATS_URL=servers.nats_url)
    env[WORKER_ENV] = "1"
    command = [sys.executable, "-m", "carecoord.services.runtime.cli", *argv]
    # A sibling left behind by a killed parent would hold the port forever.
    die_with_us = die_with_parent(signal.SIGTERM)
    workers = [
        subprocess.Popen(command, env=env, preexec_fn=die_with_us)  # noqa: S603, PLW1509
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()


def is_sibling() -> bool:
    return os.environ.get(WORKER_ENV) == "1"
