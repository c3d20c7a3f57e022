"""`carecoord api --workers 2`: two processes on one port, both writing through their own
command bus to one store, and no sibling outliving its parent; the API answering only once
both serve; the server as it is started (its websocket message limit)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
import websockets
from conftest import delete_stream, fresh_database, isolated_settings
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.bootstrap import Servers
from carecoord.services.runtime.embedded import free_port
from support import GRAPHQL_WS

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"
ENROLMENTS = 200
"""Enough that each process spends many of the kernel's 10 ms CPU ticks on its share (with
40, on a fast machine, one process's share came to two ticks: under the bar)."""


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stored(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM carecoord_events").fetchone()
    return int(row[0]) if row else 0


def gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)


async def healthy(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"no API at {url}")


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading and PDEATHSIG")
async def test_two_api_processes_share_the_port_and_the_store(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir)
    try:
        with fresh_database(servers.database_url) as database_url:
            await two_workers(servers, settings, database_url)
    finally:
        await delete_stream(servers.nats_url, settings.stream_name)  # the workers made it


SLOW_SIBLING = """
import os, time
if os.environ.get("CARECOORD_API_WORKER") == "1":
    time.sleep(float(os.environ["SIBLING_DELAY"]))
    first = os.environ.get("SIBLING_FIRST_MARK")
    if first and not os.path.exists(first):
        open(first, "x").close()
    elif os.environ.get("SIBLING_EXIT"):
        os._exit(int(os.environ["SIBLING_EXIT"]))
"""
"""A ``sitecustomize`` that holds a sibling worker back at its start (and ends it, with
``SIBLING_EXIT``; with ``SIBLING_FIRST_MARK``, only one started after the first), however
fast the machine: the parent is not held."""


def api_workers(
    servers: Servers,
    settings: Settings,
    database_url: str,
    port: int,
    *,
    capture: bool = False,
    env_more: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``carecoord api --workers 2`` on ``port`` (what it says on stderr kept, ``capture``)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        NATS_URL=servers.nats_url,
        CARECOORD_SUBJECT_ROOT=settings.subject_root,
        CARECOORD_STREAM_NAME=settings.stream_name,
        CARECOORD_JWT_SECRET=settings.jwt_secret or "",
        CARECOORD_PORT=str(port),
        CARECOORD_DATA_DIR=str(settings.data_dir),
    )
    env.update(env_more or {})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carecoord.services.runtime.cli",
            "--log-level",
            "WARNING",
            "api",
            "--workers",
            "2",
        ],
        env=env,
        stderr=subprocess.PIPE if capture else None,
    )


def held_back(tmp_path: Path, seconds: float, **env_more: str) -> dict[str, str]:
    (tmp_path / "sitecustomize.py").write_text(SLOW_SIBLING)
    return {"PYTHONPATH": str(tmp_path), "SIBLING_DELAY": str(seconds), **env_more}


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets ``pid`` holds (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def listens(pid: int, port: int) -> bool:
    """``pid`` holds a TCP socket listening on ``port`` (Linux /proc)."""
    inodes = socket_inodes(pid)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A" and fields[9] in inodes:
                return True
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading and /proc")
async def test_the_api_answers_once_every_worker_serves(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    """The parent answered while its sibling still started, and the connections made then
    (a load balancer's, a client's pool) all stayed with the parent."""
    settings = isolated_settings(data_dir)
    port = free_port()
    with fresh_database(servers.database_url) as database_url:
        parent = api_workers(servers, settings, database_url, port, env_more=held_back(tmp_path, 4))
        try:
            await healthy(f"http://127.0.0.1:{port}")
            (sibling,) = children(parent.pid)
            assert listens(sibling, port)
        finally:
            parent.terminate()
            parent.wait(20)
    await delete_stream(servers.nats_url, settings.stream_name)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading")
def test_a_worker_that_ends_before_it_serves_ends_the_api(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    """Asked for two processes, the API ran as one, and nothing said so."""
    settings = isolated_settings(data_dir)
    with fresh_database(servers.database_url) as database_url:
        env = held_back(tmp_path, 0, SIBLING_EXIT="3")
        parent = api_workers(
            servers, settings, database_url, free_port(), capture=True, env_more=env
        )
        try:
            _, err = parent.communicate(timeout=60)
        finally:
            if parent.poll() is None:  # served alone: not left behind by a failed test
                parent.kill()
                parent.wait(10)
    assert parent.returncode == 1
    assert "an API worker ended (exit 3) before it served" in err.decode()


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading and /proc")
async def test_a_worker_that_ends_while_the_api_serves_is_replaced(
    servers: Servers, data_dir: Path
) -> None:
    """A sibling killed later (kill -9, out of memory) was not noticed: the API served on at
    half its capacity, ``/health`` ok, so no supervisor acted."""
    settings = isolated_settings(data_dir)
    port = free_port()
    with fresh_database(servers.database_url) as database_url:
        parent = api_workers(servers, settings, database_url, port, capture=True)
        try:
            url = f"http://127.0.0.1:{port}"
            await healthy(url)
            (killed,) = children(parent.pid)
            os.kill(killed, signal.SIGKILL)
            new = await replaced(parent.pid, killed, port)
            async with asyncio.timeout(30):
                for _ in range(20):  # new connections: the kernel spreads them over both
                    async with httpx.AsyncClient(timeout=10) as client:
                        assert (await client.get(f"{url}/health")).status_code == 200
            parent.terminate()
            _, err = parent.communicate(timeout=60)
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait(10)
    await delete_stream(servers.nats_url, settings.stream_name)
    assert parent.returncode == 0
    (line,) = [json.loads(x) for x in err.decode().splitlines() if "API_WORKER_ENDED" in x]
    assert (line["pid"], line["signal"], line["new_pid"]) == (killed, "SIGKILL", new)
    assert not alive(new), "a replacement outlived its parent"


async def replaced(parent: int, killed: int, port: int) -> int:
    """The sibling started in place of ``killed``, once it listens on ``port``."""
    for _ in range(600):
        started = [pid for pid in children(parent) if pid != killed and alive(pid)]
        if started and listens(started[0], port):
            return started[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no sibling replaced {killed}")


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading")
async def test_a_replacement_that_ends_before_it_serves_ends_the_api(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    """A sibling that cannot start again ends the API, exit 1, as at start: a crash loop is
    not hidden behind an API serving at part of its capacity."""
    settings = isolated_settings(data_dir)
    env = held_back(tmp_path, 0, SIBLING_EXIT="3", SIBLING_FIRST_MARK=str(tmp_path / "first"))
    with fresh_database(servers.database_url) as database_url:
        port = free_port()
        parent = api_workers(servers, settings, database_url, port, capture=True, env_more=env)
        try:
            await healthy(f"http://127.0.0.1:{port}")
            (killed,) = children(parent.pid)
            os.kill(killed, signal.SIGKILL)
            _, err = parent.communicate(timeout=60)
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait(10)
    await delete_stream(servers.nats_url, settings.stream_name)
    assert parent.returncode == 1
    assert f"(in place of {killed}) ended (exit 3) before it served" in err.decode()


async def two_workers(servers: Servers, settings: Settings, database_url: str) -> None:
    port = free_port()
    parent = api_workers(servers, settings, database_url, port)
    try:
        url = f"http://127.0.0.1:{port}"
        await healthy(url)
        (sibling,) = children(parent.pid)
        token = issue_token(settings, "admin-1", Role.PROGRAM_ADMIN)

        async def enroll(i: int) -> int:
            # A new connection each time, so the kernel spreads them over both processes.
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                body = (
                    await client.post(
                        "/graphql",
                        json={
                            "query": ENROLL,
                            "variables": {"i": {"displayName": f"w{i}", "program": "OTP"}},
                        },
                        headers={"Authorization": f"Bearer {token}"},
                    )
                ).json()
            assert "errors" not in body, body
            return int(body["data"]["enrollClient"]["position"])

        pids = (parent.pid, sibling)
        for _ in range(50):  # until both have finished starting: a quiet spell costs ~nothing
            quiet = {pid: cpu_seconds(pid) for pid in pids}
            await asyncio.sleep(0.3)
            before = {pid: cpu_seconds(pid) for pid in pids}
            idle = {pid: before[pid] - quiet[pid] for pid in pids}
            if all(spent <= 0.02 for spent in idle.values()):
                break
        positions = await asyncio.gather(*(enroll(i) for i in range(ENROLMENTS)))
        assert len(set(positions)) == ENROLMENTS
        # Both processes answered some of the connections: each spent more CPU on them than
        # in as long a quiet spell (the kernel's spreading leaves one out 1 in 2**199).
        used = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
        assert all(used[pid] > 2 * idle[pid] + 0.01 for pid in pids), (used, idle)
        assert await asyncio.to_thread(stored, database_url) == ENROLMENTS
        await a_websocket_message_over_a_body_is_refused(url)

        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert await asyncio.to_thread(gone, sibling, 15), "the sibling outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


async def a_websocket_message_over_a_body_is_refused(url: str) -> None:
    """A message may be no bigger than a request body (the server took 16 MiB in one)."""
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(ws_url, subprotocols=GRAPHQL_WS, max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"x": "x" * (2 << 20)}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG
