"""A server whose process is stopped (SIGSTOP: frozen, hung) when the command that started
it ends is continued to take the signal asking it to exit, and shuts down: it waited out the
kill timeout instead (an embedded nats-server 5 s, PostgreSQL 6 s, a server of a session
gone 4 s) and was killed without its shutdown."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from carecoord.services.runtime import embedded
from carecoord.services.runtime.processes import Proc

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc start times")


def test_a_stopped_process_exits_on_the_signal_it_is_sent_not_the_kill() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        child.send_signal(signal.SIGSTOP)
        found = Proc.of(child.pid)
        assert found is not None

        found.stop(signal.SIGTERM, timeout=5.0)

        assert child.wait(timeout=30) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.embedded
@pytest.mark.parametrize("server", ["nats", "postgres"])
def test_a_stopped_embedded_server_shuts_down_not_killed(tmp_path: Path, server: str) -> None:
    started = (
        embedded.start_nats(tmp_path) if server == "nats" else embedded.launch_postgres(tmp_path)
    )
    try:
        started.process.send_signal(signal.SIGSTOP)

        started.stop()

        assert started.process.returncode != -signal.SIGKILL
    finally:
        if started.process.poll() is None:
            started.process.kill()
            started.process.wait()
