"""Runs carecoord as a deployment would (API, relay and projector as separate processes)
on a fresh database, and speaks to it as the care team would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
import psycopg
from nats.js.errors import NotFoundError
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from carecoord.bench.usage import Processes
from carecoord.events import Role
from carecoord.services.infrastructure.chain_anchors import anchor_stream
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.embedded import free_port

SECRET = "bench-secret-bench-secret-bench-secret"
OPS_TOKEN = "bench-ops-token-bench-ops-token-bench"
"""Reads ``/health`` in full: the bench waits on the followers' lag it reports."""
PROCESSES = ("project", "relay", "api")
"""Started in this order, each once it answers: together they race on the event store's
own schema statements ("tuple concurrently updated")."""
_NAMES = {"project": "projector", "relay": "relay", "api": "api"}


@contextlib.contextmanager
def fresh_database(base: str) -> Iterator[str]:
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    info = conninfo_to_dict(base)
    info["dbname"] = name
    try:
        yield make_conninfo("", **{k: v for k, v in info.items() if v is not None})
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Deployment:
    url: str
    settings: Settings
    database_url: str
    processes: Processes
    logs: Path

    def token(self, role: Role, user: str) -> str:
        return issue_token(self.settings, user, role)

    @property
    def ops(self) -> dict[str, str]:
        """The headers of a request that reads ``/health`` in full."""
        return {"Authorization": f"Bearer {OPS_TOKEN}"}


@contextlib.asynccontextmanager
async def deployed(
    database_url: str,
    nats_url: str,
    data_dir: Path,
    *,
    api_workers: int = 1,
    settings: Mapping[str, str] | None = None,
    parts: Sequence[str] = PROCESSES,
) -> AsyncIterator[Deployment]:
    """The platform's processes (``parts`` of them) on ``database_url``; ``settings`` are
    more ``CARECOORD_*`` variables for all of them."""
    tag = uuid.uuid4().hex[:8]
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        NATS_URL=nats_url,
        CARECOORD_SUBJECT_ROOT=f"bench{tag}",
        CARECOORD_STREAM_NAME=f"BENCH{tag}",
        CARECOORD_JWT_SECRET=SECRET,
        CARECOORD_OPS_TOKEN=OPS_TOKEN,
        CARECOORD_PORT=str(port),
        CARECOORD_DATA_DIR=str(data_dir),
    )
    env.update(settings or {})
    configured = Settings(
        database_url=database_url,
        nats_url=nats_url,
        subject_root=f"bench{tag}",
        stream_name=f"BENCH{tag}",
        jwt_secret=SECRET,
        port=port,
        data_dir=data_dir,
    )
    processes: list[subprocess.Popen[bytes]] = []
    logs = data_dir / "logs" / tag
    logs.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for part in parts:
            own = dict(env)
            if part != "api":
                own["CARECOORD_METRICS_PORT"] = str(free_port())
            workers = ["--workers", str(api_workers)] if part == "api" else []
            processes.append(spawn([part, *workers], own, logs / f"{part}.log"))
            try:
                if part == "api":
                    await wait_healthy(url)
                else:
                    port_of = own["CARECOORD_METRICS_PORT"]
                    await wait_healthy(f"http://127.0.0.1:{port_of}", any_answer=True)
            except RuntimeError:
                print(f"--- {part} log:\n" + (logs / f"{part}.log").read_text()[-3000:])
                raise
        pids = {_NAMES[part]: process.pid for part, process in zip(parts, processes, strict=True)}
        dbname = str(conninfo_to_dict(database_url).get("dbname", ""))
        yield Deployment(url, configured, database_url, Processes(pids, dbname), logs)
    finally:
        stop(processes)
        await delete_streams(nats_url, configured.stream_name, anchor_stream(configured))


async def delete_streams(nats_url: str, *names: str) -> None:
    """A deployment's streams, gone with it as its database is: a bench run left dozens on
    the broker, each with its messages on disk."""
    nc = await nats.connect(nats_url, connect_timeout=10)
    try:
        for name in names:
            with contextlib.suppress(NotFoundError):
                await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Ask every process to end, then wait for each, killing any that takes over 10 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``carecoord <command>`` in a process of its own, its log in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "carecoord.services.runtime.cli",
                "--log-level",
                "WARNING",
                *command,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


async def wait_healthy(url: str, timeout: float = 60, *, any_answer: bool = False) -> None:
    """Until ``/health`` answers 200 (with ``any_answer``, anything: the process is up)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                status = (await client.get(f"{url}/health")).status_code
                if status == 200 or any_answer:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the API at {url} did not become healthy")
