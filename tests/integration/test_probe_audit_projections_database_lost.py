"""``audit projections`` that loses its database partway (the server restarted, the
connection cut) says so and exits 2, cannot check: it ended in a traceback with exit 1,
which a script reads as a read model that differs, tampering."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from carecoord.events import Actor, Role
from carecoord.projections import timeline
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NAME = "Cut Person"
WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


def cut_while_waiting(url: str, table: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``audit projections`` run while ``table`` is locked, its connection waiting on the lock
    cut by the server (as a restart cuts it), the lock then let go."""
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as admin:
        holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        running = subprocess.Popen(
            [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "projections"],
            env={**os.environ, "DATABASE_URL": url},
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


async def test_a_database_lost_partway_is_cannot_check_not_a_difference(
    platform: Platform, tmp_path: Path
) -> None:
    recorded = await platform.bus.execute(enroll_client(ADMIN, display_name=NAME, program="OTP"))
    assert await platform.progress.reach(timeline.NAME, recorded.position, 10)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT to_regclass('timeline_g1') IS NOT NULL, to_regclass('timeline') IS NOT NULL"
        )
        generation, plain = await cur.fetchone() or (False, False)
    table = "timeline_g1" if generation else "timeline"
    assert generation or plain

    done = await asyncio.to_thread(cut_while_waiting, platform.database_url, table, tmp_path)

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert "carecoord audit projections: lost the database" in done.stderr
    assert "Traceback" not in done.stderr
    assert NAME not in done.stderr
