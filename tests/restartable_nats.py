"""A nats-server of a test's own that can be killed and started again on the same port and
store, as a broker outage looks to the platform's clients (they reconnect to the same URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from carecoord.services.infrastructure.children import die_with_parent
from carecoord.services.runtime import embedded
from carecoord.services.runtime.embedded import free_port


@dataclass
class RestartableNats:
    root: Path
    port: int = field(default_factory=free_port)
    name: str = field(default_factory=lambda: f"outage-{uuid.uuid4().hex[:8]}")
    process: subprocess.Popen[bytes] | None = None
    conf: Path | None = None
    """A configuration file (its users and their permissions); its listen and monitoring
    ports are overridden."""
    env: dict[str, str] | None = None
    """The environment the configuration reads (passwords, the store's key)."""

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        store = self.root / "nats"
        store.mkdir(exist_ok=True)
        command = [embedded.nats_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1"]
        if self.conf is not None:
            command += ["-c", str(self.conf), "-m", "0"]
        self.process = subprocess.Popen(
            [*command, "-p", str(self.port), "-n", self.name],
            env=None if self.env is None else {**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "nats.log").open("ab"),
            preexec_fn=die_with_parent(signal.SIGKILL),  # noqa: PLW1509
        )
        deadline = time.monotonic() + 20
        # Ours, by name: a port that answers may be another server's (a port is free only
        # while nothing takes it).
        while embedded.server_name(self.port) != self.name:
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "nats.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"nats-server did not start:\n{log}")
            time.sleep(0.02)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def freeze(self) -> None:
        """Stop the server's process (SIGSTOP): a hung broker, its connections held open and
        nothing answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
