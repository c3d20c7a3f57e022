"""Two platforms on one port: `carecoord up` in one project and again in another (each its
own data directory and database), both on the default port. The second bound beside the
first (SO_REUSEPORT, meant for `api --workers`) and the kernel spread the care team's
requests between two databases. The second now stops, naming the port; `api --workers`
still shares its port between its own processes (tests/e2e/test_api_workers.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from carecoord.services.runtime import workers
from carecoord.services.runtime.embedded import free_port

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals, /proc"),
]


def _up(home: Path, port: int) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    env["CARECOORD_DATA_DIR"] = str(home / "data")
    home.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "up", "--port", str(port)],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_platform_on_the_same_port_is_refused(tmp_path: Path) -> None:
    port = free_port()
    first = _up(tmp_path / "first", port)
    second = None
    try:
        deadline = time.monotonic() + 60
        while True:
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the first platform never answered"
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)

        second = _up(tmp_path / "second", port)
        _, stderr = second.communicate(timeout=60)

        assert second.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in stderr
        assert "--port" in stderr
        assert first.poll() is None  # the first goes on, alone on its port
    finally:
        for process in (second, first):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(15)


def test_a_port_another_process_shares_is_taken_only_by_a_sibling_worker() -> None:
    with workers.listening_socket("127.0.0.1", 0) as held:
        port = held.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            workers.listening_socket("127.0.0.1", port)
        with workers.listening_socket("127.0.0.1", port, join=True) as sibling:
            assert sibling.getsockname()[1] == port
            assert sibling.type == socket.SOCK_STREAM
