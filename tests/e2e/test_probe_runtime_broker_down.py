"""Stopping a command while its NATS is down (the broker's host restarting, a killed
nats-server): Ctrl-C or SIGTERM stops it cleanly, as any other time. The broker's drain
raised "connection reconnecting" and the command ended on a traceback, exit 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from carecoord.services.runtime import embedded

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals, /proc"),
]


def _wait_listening(process: subprocess.Popen[str], url: str, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_command_stopped_while_its_broker_is_down_stops_without_a_traceback(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    nats = embedded.start_nats(tmp_path / "broker")
    port = embedded.free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    env.update(
        NATS_URL=nats.url,
        CARECOORD_DATA_DIR=str(tmp_path / "data"),
        CARECOORD_JWT_SECRET="broker-down-test-secret-0123456789",
    )
    up = subprocess.Popen(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_listening(up, f"http://127.0.0.1:{port}", 60)
        nats.process.kill()
        nats.process.wait()
        time.sleep(1.0)  # the client notices and starts reconnecting

        up.send_signal(stop_signal)
        _, stderr = up.communicate(timeout=20)

        assert "Traceback" not in stderr, stderr[-3000:]
        assert up.returncode == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        nats.stop()
