"""An audit command stopped by SIGINT or SIGTERM says so in one line and exits 2 (cannot
check), never 0 or 1, and ``audit projections`` drops its scratch tables. SIGINT was a
traceback; SIGTERM ended the process where it stood, leaving a copy of every read model in
the database; beside a running ``up`` either signal exited 0 with nothing said, which a
script took for an intact chain."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND backend_start >= %s"
)
SCRATCH_TABLES = "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%%\\_g1000%%'"


def stopped_while_reading(
    url: str, cwd: Path, stop: signal.Signals, *check: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """``carecoord audit <check>`` held on the event store's table, then sent ``stop``; its
    answer, and the scratch tables left in the database."""
    with (
        psycopg.connect(url, autocommit=True) as watcher,
        psycopg.connect(url) as holder,
        holder.transaction(),
    ):
        holder.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        started = watcher.execute("SELECT now()").fetchone()
        assert started is not None
        command = subprocess.Popen(
            [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", *check],
            env={**os.environ, "DATABASE_URL": url},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not _waiting(watcher, started[0]):
                assert command.poll() is None, command.communicate()
                assert time.monotonic() < deadline, "the check never reached the store"
                time.sleep(0.01)
            command.send_signal(stop)
            out, err = command.communicate(timeout=30)
        finally:
            command.kill()
    with psycopg.connect(url) as conn:
        left = conn.execute(SCRATCH_TABLES).fetchone()
    done = subprocess.CompletedProcess(command.args, command.returncode, out, err)
    return done, int(left[0]) if left else 0


def _waiting(conn: psycopg.Connection[tuple[int]], since: datetime) -> int:
    found = conn.execute(WAITING_ON_A_LOCK, (since,)).fetchone()
    return int(found[0]) if found else 0


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    ("check", "said"),
    [
        (("verify",), "carecoord audit verify: interrupted; nothing was checked"),
        (
            ("projections",),
            "carecoord audit projections: interrupted; nothing was checked; its scratch tables"
            " are dropped",
        ),
        (
            ("export", "--program", "OTP", "--as", "aud-7"),
            "carecoord audit export: interrupted; nothing was written",
        ),
    ],
    ids=["verify", "projections", "export"],
)
async def test_an_interrupted_audit_cannot_check_and_leaves_nothing(
    platform: Platform,
    tmp_path: Path,
    stop: signal.Signals,
    check: tuple[str, ...],
    said: str,
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))

    done, scratch = stopped_while_reading(platform.database_url, tmp_path, stop, *check)

    assert done.returncode == 2, done.stderr
    assert said in done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # nothing reported as found
    assert scratch == 0
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240  (the test's own folder)


async def test_an_export_interrupted_while_printing_says_its_output_is_incomplete(
    platform: Platform, tmp_path: Path
) -> None:
    """Stopped with part of the record on stdout, it does not say nothing was written."""
    for n in range(250):  # more than a pipe holds (64 KiB) unread
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"Client {n}", program="Big"))

    done = await asyncio.to_thread(stopped_while_printing, platform.database_url, tmp_path)

    assert done.returncode == 2, done.stderr
    said = "carecoord audit export: interrupted while writing; the output is incomplete"
    assert said in done.stderr.splitlines()
    assert "nothing was written" not in done.stderr
    assert "Traceback" not in done.stderr


def stopped_while_printing(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``audit export`` to a pipe nobody reads yet, sent SIGINT once it is printing."""
    command = subprocess.Popen(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "export",
         "--program", "Big", "--as", "aud-7"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert command.stderr is not None
        for line in command.stderr:  # its entries are stored just before it prints
            if line.startswith("access log:"):
                break
        time.sleep(0.5)  # the pipe is full, the write waits
        command.send_signal(signal.SIGINT)
        out, err = command.communicate(timeout=30)
    finally:
        command.kill()
    return subprocess.CompletedProcess(command.args, command.returncode, out, err)
