"""PostGraphile v4, the server people would pick instead, pointed at the same database.

It is installed from npm into a cache directory outside the repository the first time
(``CARECOORD_BENCH_CACHE``, default ``~/.cache/carecoord-bench``) and run with Node.js. It
exposes the timeline read model's current table; its keyset pagination over the same
index is the peer of carecoord's timeline page. It makes no access decision and writes
no access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import quote

import httpx
from psycopg.conninfo import conninfo_to_dict

from carecoord.services.runtime.embedded import free_port

VERSION = "postgraphile@4"


def cache_dir() -> Path:
    root = os.environ.get("CARECOORD_BENCH_CACHE") or Path.home() / ".cache" / "carecoord-bench"
    return Path(root) / "postgraphile"


def installed(say: Callable[[str], None]) -> Path | None:
    """The postgraphile command, installed with npm on first use; None when it cannot be."""
    prefix = cache_dir()
    command = prefix / "node_modules" / ".bin" / "postgraphile"
    if command.exists():
        return command
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None
    prefix.mkdir(parents=True, exist_ok=True)
    say(f"installing {VERSION} into {prefix} (once)")
    done = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", VERSION],
        capture_output=True,
        text=True,
        check=False,
    )
    return command if done.returncode == 0 and command.exists() else None


def postgres_url(conninfo: str) -> str:
    info = conninfo_to_dict(conninfo)
    user = info.get("user") or "postgres"
    password = f":{info['password']}" if info.get("password") else ""
    host = str(info.get("host") or "127.0.0.1")
    port = info.get("port") or 5432
    if host.startswith("/"):  # a Unix socket's directory (the embedded server): encoded
        host = quote(host, safe="")
    return f"postgres://{user}{password}@{host}:{port}/{info['dbname']}"


@contextlib.asynccontextmanager
async def serving(command: Path, database_url: str, log: Path) -> AsyncIterator[str]:
    """PostGraphile on a free port over the public schema; yields its GraphQL URL base."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220  (starting, not waiting)
            [
                str(command),
                "--connection", postgres_url(database_url),
                "--schema", "public",
                "--host", "127.0.0.1",
                "--port", str(port),
                "--disable-query-log",
                "--disable-default-mutations",
                "--disable-graphiql",
            ],
            env={**os.environ, "NODE_ENV": "production"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            await _answering(url, process)
        except RuntimeError as failed:
            tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
            raise RuntimeError(f"{failed}; its log ends:\n{tail}") from None
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


async def _answering(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"PostGraphile exited with status {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                answer = await client.post(f"{url}/graphql", json={"query": "{ __typename }"})
                if answer.status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"PostGraphile did not answer at {url}")


def connection_field(generation: int) -> str:
    """PostGraphile's name for all rows of ``timeline_g<generation>``."""
    return f"allTimelineG{generation}S"


def timeline_query(generation: int) -> str:
    """The same page as carecoord's: a client's entries in clinical order, 50 after a cursor."""
    return (
        "query($id: UUID!, $after: Cursor) {"
        f" {connection_field(generation)}(condition: {{clientId: $id}},"
        " orderBy: [OCCURRED_AT_ASC, POSITION_ASC], first: 50, after: $after) {"
        " edges { cursor node { position type summary occurredAt recordedAt actorId actorRole } }"
        " pageInfo { hasNextPage endCursor } } }"
    )


def cursors_query(generation: int) -> str:
    """Every entry's cursor, in order (to start pages where carecoord's start)."""
    return (
        "query($id: UUID!) {"
        f" {connection_field(generation)}(condition: {{clientId: $id}},"
        " orderBy: [OCCURRED_AT_ASC, POSITION_ASC]) { edges { cursor node { position } } } }"
    )
