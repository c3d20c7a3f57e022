"""``audit projections`` and ``audit export`` that lose their database partway (the server
restarted, the connection cut), whether while the store opens or while it is read, say so
and exit 2, cannot check or nothing written: each ended in a traceback with exit 1, which a
script reads of ``projections`` as a read model that differs, tampering."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from carecoord.events import Actor, Role
from carecoord.projections import timeline
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NAME = "Cut Person"
WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND application_name = 'audit-cut'"
)


def cut_while_waiting(
    url: str, table: str, tmp_path: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    """``audit <arguments>`` run while ``table`` is locked, its connection waiting on the
    lock cut by the server (as a restart cuts it), the lock then let go."""
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as admin:
        holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        running = subprocess.Popen(
            [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", *arguments],
            env={**os.environ, "DATABASE_URL": url, "PGAPPNAME": "audit-cut"},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not (waiting := admin.execute(WAITING).fetchall()):
                if running.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"never waited on the lock: {running.communicate()[1]}")
                time.sleep(0.05)
            for (pid,) in waiting:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            holder.rollback()
            out, err = running.communicate(timeout=60)
        finally:
            if running.poll() is None:
                running.kill()
                running.communicate()
    return subprocess.CompletedProcess(running.args, running.returncode, out, err)


async def recorded(platform: Platform) -> str:
    """A client enrolled, on the timeline; the timeline's live table."""
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name=NAME, program="OTP"))
    assert await platform.progress.reach(timeline.NAME, enrolled.position, 10)
    return str(enrolled.result)


@pytest.mark.parametrize("table", [TABLE, "timeline_g1"])
async def test_projections_losing_the_database_cannot_check_and_say_no_difference(
    platform: Platform, tmp_path: Path, table: str
) -> None:
    """Cut while the store opens (its table locked), or while a live model's digest is read."""
    await recorded(platform)

    done = await asyncio.to_thread(
        cut_while_waiting, platform.database_url, table, tmp_path, "projections"
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert "carecoord audit projections: lost the database partway" in done.stderr
    assert "Traceback" not in done.stderr
    assert NAME not in done.stderr


async def test_an_export_losing_the_database_writes_nothing_and_exits_2(
    platform: Platform, tmp_path: Path
) -> None:
    client = await recorded(platform)

    done = await asyncio.to_thread(
        cut_while_waiting,
        platform.database_url,
        TABLE,
        tmp_path,
        *("export", "--client", client, "--as", "auditor-1"),
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert "carecoord audit export: cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr
    assert NAME not in done.stderr
