"""A rebuild whose worker process is killed stops with ``WorkerLost`` and its advice, at
once, leaving no process behind and the live read model where it was (it hung at exit:
the surviving worker, forked from the event loop's process, ignored the terminate). A
rebuild that is itself killed leaves no worker behind."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import psycopg
import pytest
from conftest import fresh_database

from carecoord.bench.seed import seed
from carecoord.projections import copy_workers
from carecoord.projections.copy_workers import Formatted, Stored, WorkerLost, Workers
from carecoord.services.runtime.bootstrap import Servers


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(child) for child in found.stdout.split()]


def rebuilding(
    url: str, servers: Servers, output: Path
) -> tuple[subprocess.Popen[bytes], list[int]]:
    """``carecoord rebuild timeline`` started on ``url``, once its workers have started."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "NATS_URL": servers.nats_url,
        "CARECOORD_DATA_DIR": str(output.parent),
    }
    with output.open("w") as out:
        rebuild = subprocess.Popen(
            [sys.executable, "-m", "carecoord.services.runtime.cli", "rebuild", "timeline"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while len(workers := children(rebuild.pid)) < 2:
        if rebuild.poll() is not None or time.monotonic() > deadline:
            rebuild.kill()
            raise AssertionError(f"the rebuild started no workers: {output.read_text()[-2000:]}")
        time.sleep(0.005)
    return rebuild, workers


def test_a_killed_worker_ends_the_rebuild_with_advice(servers: Servers, tmp_path: Path) -> None:
    with fresh_database(servers.database_url) as url:
        seed(url, clients=400, events_per_client=100, label="seeding")
        output = tmp_path / "rebuild.log"
        rebuild, workers = rebuilding(url, servers, output)
        try:
            os.kill(workers[0], signal.SIGKILL)
            assert rebuild.wait(timeout=60) == 1
        finally:
            rebuild.kill()
        assert "WorkerLost" in output.read_text()
        assert "run the rebuild again" in output.read_text()
        assert [pid for pid in workers[1:] if _alive(pid)] == []
        with psycopg.connect(url) as conn:
            found = conn.execute(
                "SELECT generation FROM projection_generations WHERE name = 'timeline'"
            ).fetchone()
        assert found is None or found[0] == 1, "the live timeline was switched"


def test_a_killed_rebuild_leaves_no_worker_behind(servers: Servers, tmp_path: Path) -> None:
    with fresh_database(servers.database_url) as url:
        seed(url, clients=400, events_per_client=100, label="seeding")
        rebuild, workers = rebuilding(url, servers, tmp_path / "rebuild.log")
        rebuild.kill()
        rebuild.wait(timeout=10)

        deadline = time.monotonic() + 10
        while (left := [pid for pid in workers if _alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == [], "workers outlived the rebuild"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "Z"


def _half_a_result(page: list[Stored]) -> Formatted:
    """What a worker killed while writing its result leaves in the pipe: the start of a
    message (its length, and a few of its bytes)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and "result_queue" not in frame.f_locals:
        frame = frame.f_back  # up to the executor's worker loop, which holds it
    assert frame is not None
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"half")
    os._exit(1)


async def test_a_worker_dead_halfway_through_its_result_fails_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The executor read the rest of a half-written result for ever (this process held a
    writer of the pipe open), so the page never failed and the rebuild hung."""
    monkeypatch.setattr(copy_workers, "_format", _half_a_result)  # before the workers fork
    async with Workers([], 2) as workers:
        with pytest.raises(WorkerLost):
            await asyncio.wait_for(Workers.formatted(workers.format([])), 30)
