"""`carecoord up` whose own embedded server dies under it (killed, out of memory, its disk
gone): nothing starts it again, so `up` stops, naming the server, and stops the other one.
It ran on for ever, logging retries, answering writes it could never publish or failing
every request, while every other command was told to stop it and start again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from carecoord.services.runtime.embedded import free_port
from carecoord.services.runtime.processes import Proc
from carecoord.services.runtime.session import FILE_NAME

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals, /proc"),
]


@pytest.mark.parametrize(("server", "named"), [("nats", "nats-server"), ("postgres", "PostgreSQL")])
def test_up_stops_naming_its_embedded_server_when_that_server_dies(
    tmp_path: Path, server: str, named: str
) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    env["CARECOORD_DATA_DIR"] = str(tmp_path / "data")
    up = subprocess.Popen(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert up.poll() is None, up.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "up never answered"
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        runtime = json.loads((tmp_path / "data" / FILE_NAME).read_text())
        victim, other = (
            Proc.from_json(runtime[n]) for n in (server, ({"nats", "postgres"} - {server}).pop())
        )
        assert victim is not None
        assert other is not None

        os.kill(victim.pid, signal.SIGKILL)
        try:
            _, stderr = up.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            up.kill()
            said = [line for line in up.communicate()[1].splitlines() if "pool-" not in line]
            raise AssertionError("up ran on:\n" + "\n".join(said[-40:])) from None

        assert up.returncode == 1
        last = stderr.splitlines()[-1]
        assert last.startswith("carecoord up: ")
        assert named in last
        # It ends on its line, not a traceback (errors its loops logged may carry theirs).
        assert not [line for line in stderr.splitlines() if line.startswith("Traceback")]
        assert "carecoord.uncaught" not in stderr
        assert other.gone_within(5)
        assert not (tmp_path / "data" / FILE_NAME).exists()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
