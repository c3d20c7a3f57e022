"""`carecoord api --workers 2` stopped as a service manager stops a service, every process
of it signalled (systemd's control group, ``kill -- -PGID``): the sibling is signalled again
by its parent as the parent stops, and that second signal cut its wait for its requests
short, so a mutation in flight on it was answered ``api-stopping`` where it had time to end.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from conftest import delete_stream, fresh_database, isolated_settings
from test_api_stop import HELD, waiting_on_the_lock
from test_api_workers import ENROLL, children, healthy, socket_inodes

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.runtime.bootstrap import Servers
from carecoord.services.runtime.embedded import free_port

REPEATED = '"code": "API_STOP_REPEATED"'


def holds_connection_from(pid: int, client_port: int) -> bool:
    """``pid`` holds the accepted end of the TCP connection from ``client_port`` (/proc)."""
    inodes = socket_inodes(pid)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].rsplit(":", 1)[1], 16) == client_port and fields[9] in inodes:
            return True
    return False


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str, body: bytes = b""
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection: its status and body."""
    writer.write(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    status_line, *headers = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
    length = next(
        int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")
    )
    return int(status_line.split()[1]), await reader.readexactly(length)


async def connected_to(pid: int, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A kept-alive connection the kernel gave to ``pid`` (each lands on either process)."""
    while True:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = "GET /health HTTP/1.1\r\nHost: api\r\n"
        assert (await exchange(reader, writer, head))[0] == 200  # accepted by now
        if holds_connection_from(pid, writer.get_extra_info("sockname")[1]):
            return reader, writer
        writer.close()
        await writer.wait_closed()


async def said(log: Path, line: str) -> None:
    """Until the log has ``line`` (a process's log is a file: no event to wait on)."""
    while line not in await asyncio.to_thread(log.read_text, errors="replace"):  # noqa: ASYNC110
        await asyncio.sleep(0.05)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading and /proc")
async def test_a_sibling_lets_its_requests_end_when_the_whole_service_is_stopped(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir)
    port = free_port()
    log = data_dir / f"api-group-stop-{port}.log"
    with fresh_database(servers.database_url) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "NATS_URL": servers.nats_url,
            "CARECOORD_STREAM_NAME": settings.stream_name,
            "CARECOORD_SUBJECT_ROOT": settings.subject_root,
            "CARECOORD_JWT_SECRET": settings.jwt_secret or "",
            "CARECOORD_PORT": str(port),
            "CARECOORD_DATA_DIR": str(data_dir),
        }
        command = [sys.executable, "-m", "carecoord.services.runtime.cli"]
        with log.open("wb") as out:
            parent = subprocess.Popen(  # noqa: ASYNC220  (starting, not waiting)
                [*command, "--log-level", "INFO", "api", "--workers", "2"],
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,  # a process group of its own, as a service has
            )
        try:
            await healthy(f"http://127.0.0.1:{port}")
            (sibling,) = children(parent.pid)
            reader, writer = await connected_to(sibling, port)
            token = issue_token(settings, "admin-1", Role.PROGRAM_ADMIN)
            body = json.dumps(
                {"query": ENROLL, "variables": {"i": {"displayName": "G. Roup", "program": "OTP"}}}
            ).encode()
            head = (
                "POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\n"
            )
            async with await psycopg.AsyncConnection.connect(database_url) as holder:
                await holder.execute(HELD)
                mutation = asyncio.create_task(exchange(reader, writer, head, body))
                await waiting_on_the_lock(database_url)
                os.killpg(parent.pid, signal.SIGTERM)
                # The parent's own signal reached the sibling: the mutation, still waiting,
                # may end now (an answer first is the one the second signal cut).
                heard = asyncio.create_task(said(log, REPEATED))
                await asyncio.wait((mutation, heard), return_when=asyncio.FIRST_COMPLETED)
                heard.cancel()
                await holder.rollback()
                status, answer = await mutation
            writer.close()
            assert status == 200, answer
            assert json.loads(answer)["data"]["enrollClient"]["id"]
            assert await asyncio.to_thread(parent.wait, 30) == 0
        finally:
            if parent.poll() is None:
                os.killpg(parent.pid, signal.SIGKILL)
                parent.wait()
    await delete_stream(servers.nats_url, settings.stream_name)
