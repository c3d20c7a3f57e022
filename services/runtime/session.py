"""One embedded runtime per data directory, and the file that says where its servers are.

The first command that needs servers and finds none running (usually ``carecoord up``)
starts the embedded PostgreSQL and nats-server and writes ``runtime.json`` into the data
directory: the servers' URLs and pids, its own pid, and the API's URL once it listens.
Every other command on that data directory attaches to those servers instead of
starting a second set, and leaves when they stop; a second ``up`` is refused, naming the
command that runs them. The owner removes the file when it
stops its servers. A file that names a process which is gone (its owner was killed) is
stale: the next command stops whatever server it names that still runs, and removes it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from carecoord.services.runtime.embedded import NatsServer, Postgres, launch_postgres, start_nats
from carecoord.services.runtime.processes import Proc

log = logging.getLogger("carecoord.runtime")

FILE_NAME = "runtime.json"
LOCK_NAME = "runtime.lock"
WATCH_INTERVAL = 0.5
SOLE_COMMANDS = ("up",)
"""The commands that run the whole platform: one per data directory, never attached."""


class RuntimeBroken(RuntimeError):
    """The owner named in the runtime file runs, but one of its servers does not."""


class RuntimeTaken(RuntimeError):
    """``up`` found the data directory's servers run by another command: attached, it ran a
    second platform that stopped, exit 1, when the first was stopped (Ctrl-C in the
    terminal of an ``up`` started earlier, or of a ``tail`` started first)."""


@dataclass(frozen=True)
class Runtime:
    command: str
    owner: Proc
    database_url: str
    nats_url: str
    postgres: Proc | None = None
    nats: Proc | None = None
    api_url: str | None = None

    def servers(self) -> list[Proc]:
        return [p for p in (self.postgres, self.nats) if p is not None]

    def live(self) -> bool:
        return all(p.alive() for p in (self.owner, *self.servers()))

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "owner": self.owner.to_json(),
            "database_url": self.database_url,
            "nats_url": self.nats_url,
            "postgres": self.postgres.to_json() if self.postgres else None,
            "nats": self.nats.to_json() if self.nats else None,
            "api_url": self.api_url,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Runtime:
        owner = Proc.from_json(value["owner"])
        if owner is None:
            raise ValueError("no owner")
        return cls(
            str(value["command"]),
            owner,
            str(value["database_url"]),
            str(value["nats_url"]),
            Proc.from_json(value.get("postgres")),
            Proc.from_json(value.get("nats")),
            value.get("api_url"),
        )


def runtime_file(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def write(data_dir: Path, runtime: Runtime) -> None:
    """Replace the file in one step, so a reader sees the old or the new one, never half.
    Only its owner reads it (0600): the NATS URL carries the embedded server's token."""
    target = runtime_file(data_dir)
    partial = target.with_name(f".{FILE_NAME}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    partial.write_text(json.dumps(runtime.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, target)


def withdraw(data_dir: Path, owner: Proc) -> None:
    """Remove the file if it is still this owner's."""
    path = runtime_file(data_dir)
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError, TypeError):
        if Runtime.from_json(json.loads(path.read_text(encoding="utf-8"))).owner == owner:
            path.unlink()


def live_runtime(data_dir: Path) -> Runtime | None:
    """The runtime the file names when its processes all run; a stale file is cleaned."""
    path = runtime_file(data_dir)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    try:  # a damaged file (not JSON, not even UTF-8: a traceback) is a stale one
        found: Runtime | None = Runtime.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError):
        found = None
    if found is not None and found.live():
        return found
    if found is not None and found.owner.alive():
        raise RuntimeBroken(
            f"carecoord {found.command} (pid {found.owner.pid}) runs on {data_dir} but one of "
            "its embedded servers is gone; stop it and start again"
        )
    if found is not None:
        for server, stop_signal in ((found.nats, signal.SIGTERM), (found.postgres, signal.SIGINT)):
            if server is not None and server.alive():
                log.warning("stopping a server left running", extra={"pid": server.pid})
                server.stop(stop_signal)
    path.unlink(missing_ok=True)
    log.info("removed a stale runtime file", extra={"path": str(path)})
    return None


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    """One process at a time decides whether to attach or to start (and starts)."""
    fd = os.open(data_dir / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@dataclass
class Session:
    """This process's part in the data directory's runtime: the owner's, which started the
    servers and stops them, or an attached one."""

    data_dir: Path
    runtime: Runtime
    database_url: str
    nats_url: str
    postgres: Postgres | None = None
    nats: NatsServer | None = None
    closing: threading.Event = field(default_factory=threading.Event)
    lost: bool = False
    """The servers stopped under this process: attached, their owner exited; the owner,
    one it started died (``lost_server`` names it)."""
    lost_server: str | None = None

    @property
    def owned(self) -> bool:
        return self.postgres is not None or self.nats is not None

    def publish_api(self, url: str) -> None:
        """Add the API's URL to the file (the owner's file only)."""
        if self.owned and not self.closing.is_set():
            self.runtime = replace(self.runtime, api_url=url)
            write(self.data_dir, self.runtime)

    def watch(self, on_gone: Callable[[], None]) -> None:
        """Call ``on_gone`` (from a thread) once the servers have stopped under this process:
        attached, when their owner stopped them; the owner, when one it started has died
        (nothing starts it again: the process went on failing for ever, and every other
        command was told to stop it)."""

        def poll() -> None:
            while not self.closing.wait(WATCH_INTERVAL):
                if self.owned:
                    self.lost_server = self.died()
                    if self.lost_server is None:
                        continue
                    log.critical(
                        "an embedded server stopped; stopping",
                        extra={"server": self.lost_server, "code": "EMBEDDED_SERVER_GONE"},
                    )
                elif self.runtime.live():
                    continue
                else:
                    log.warning(
                        "the embedded servers stopped",
                        extra={"owner": self.runtime.command, "pid": self.runtime.owner.pid},
                    )
                self.lost = True
                on_gone()
                return

        threading.Thread(target=poll, name="runtime-watch", daemon=True).start()

    def died(self) -> str | None:
        """The name of a server this process started that has exited, if one has."""
        for name, server in (("PostgreSQL", self.postgres), ("nats-server", self.nats)):
            if server is not None and server.process.poll() is not None:
                return name
        return None

    def close(self) -> None:
        """The owner removes the file and stops its servers (once; also at exit)."""
        if self.closing.is_set():
            return
        self.closing.set()
        if not self.owned:
            return
        withdraw(self.data_dir, self.runtime.owner)
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()
        log.info("embedded servers stopped")


def taken_message(data_dir: Path, command: str, found: Runtime) -> str:
    """One line: who runs the servers, and what to do."""
    serving = f", serving {found.api_url}/graphql" if found.api_url else ""
    return (
        f"carecoord {command}: carecoord {found.command} (pid {found.owner.pid}) already runs"
        f" the servers of {data_dir}{serving}; stop it first, or start {command} in another"
        " folder (or with CARECOORD_DATA_DIR set to another directory)"
    )


def attach_or_start(
    data_dir: Path, command: str, *, database_url: str | None, nats_url: str | None
) -> Session:
    """Attach to the servers the data directory's runtime names (``up`` is refused,
    RuntimeTaken); else start the embedded ones that are not configured (``database_url`` /
    ``nats_url``) and own them."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with locked(data_dir):
        found = live_runtime(data_dir)
        if found is not None and command in SOLE_COMMANDS:
            raise RuntimeTaken(taken_message(data_dir, command, found))
        if found is not None:
            log.info(
                "attached to running embedded servers",
                extra={"owner": found.command, "pid": found.owner.pid},
            )
            return Session(
                data_dir,
                found,
                database_url or found.database_url,
                nats_url or found.nats_url,
            )
        owner = Proc.of(os.getpid())
        assert owner is not None
        postgres: Postgres | None = None
        nats: NatsServer | None = None
        try:
            if database_url is None:
                postgres = launch_postgres(data_dir)
                database_url = postgres.url
            if nats_url is None:
                nats = start_nats(data_dir)
                nats_url = nats.url
        except BaseException:
            for started in (nats, postgres):
                if started is not None:
                    started.stop()
            raise
        runtime = Runtime(
            command,
            owner,
            database_url,
            nats_url,
            postgres.proc if postgres else None,
            nats.proc if nats else None,
        )
        write(data_dir, runtime)
        session = Session(data_dir, runtime, database_url, nats_url, postgres, nats)
    atexit.register(session.close)
    return session
