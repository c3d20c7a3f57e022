"""A rebuild stopped by SIGTERM before its switch says so and exits non-zero, leaving the
live read model where it was; run again, it completes. (It exited 0, saying nothing, as if
the model had been rebuilt.) The tables it filled are dropped: they were left, a copy of the
model's rows that no view pointed at."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import psycopg
from platform_env import platform_env

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND backend_start >= %s"
)


def rebuild_timeline(
    platform: Platform, servers: Servers, tmp_path: Path, **extra: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "rebuild", "timeline"],
        env={**platform_env(platform, servers, tmp_path), **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waiting(conn: psycopg.Connection[tuple[int]], since: datetime) -> int:
    """How many of the database's sessions opened ``since`` (the rebuild's, not the live
    projector's, which waits on the same row) wait on a lock."""
    found = conn.execute(WAITING_ON_A_LOCK, (since,)).fetchone()
    return int(found[0]) if found else 0


def generation(url: str) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT generation FROM projection_generations WHERE name = 'timeline'"
        ).fetchone()
    return int(found[0]) if found else 1


def tables_of(url: str, model: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE %s ORDER BY 1", (f"{model}_g%",)
        ).fetchall()
    return [str(row[0]) for row in rows]


def interrupted_at_the_switch(
    platform: Platform, servers: Servers, tmp_path: Path
) -> tuple[int, str]:
    """Hold the live timeline's position row, so the rebuild waits at its switch; SIGTERM."""
    url = platform.database_url
    with (
        psycopg.connect(url, autocommit=True) as watcher,
        psycopg.connect(url) as holder,
        holder.transaction(),
    ):
        holder.execute("SELECT 1 FROM follower_positions WHERE name = 'timeline' FOR UPDATE")
        started = watcher.execute("SELECT now()").fetchone()
        assert started is not None
        rebuild = rebuild_timeline(platform, servers, tmp_path)
        try:
            deadline = time.monotonic() + 60
            while not waiting(watcher, started[0]):
                assert rebuild.poll() is None, rebuild.communicate()
                assert time.monotonic() < deadline, "the rebuild never reached its switch"
                time.sleep(0.01)
            rebuild.send_signal(signal.SIGTERM)
            _, err = rebuild.communicate(timeout=30)
        finally:
            rebuild.kill()
    return rebuild.returncode, err


async def test_an_interrupted_rebuild_says_so_and_fails(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    for name in ("Sam K.", "Jo P."):
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    before = generation(platform.database_url)

    status, err = await asyncio.to_thread(interrupted_at_the_switch, platform, servers, tmp_path)

    assert status != 0, err
    assert "timeline interrupted" in err
    assert "run the rebuild again" in err
    assert generation(platform.database_url) == before
    # The generation it filled goes with it: a copy of the timeline no view pointed at was
    # left in the database until a later rebuild dropped it.
    assert tables_of(platform.database_url, "timeline") == [f"timeline_g{before}"]
    again = await asyncio.to_thread(
        rebuild_timeline(platform, servers, tmp_path).communicate, timeout=60
    )
    assert "timeline: generation" in again[0], again[1]
    assert generation(platform.database_url) == before + 1


def timeline_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename ~ '^timeline_g[0-9]+$' ORDER BY 1"
        ).fetchall()
    return [name for (name,) in found]


async def test_a_rebuild_killed_after_its_switch_leaves_no_copy_for_good(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    """Killed between its switch and dropping the tables it replaced, a rebuild left that
    whole copy of the rows behind; the next rebuild dropped only the generation before its
    own, so the copy stayed for good (and with it rows a rebuild is meant to drop)."""
    for name in ("Sam K.", "Jo P."):
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    url = platform.database_url

    killed = rebuild_timeline(platform, servers, tmp_path, CARECOORD_CRASH_AT="rebuild-switched")
    await asyncio.to_thread(killed.communicate, timeout=60)
    left = timeline_tables(url)
    again = await asyncio.to_thread(
        rebuild_timeline(platform, servers, tmp_path).communicate, timeout=60
    )

    assert killed.returncode == -signal.SIGKILL
    assert left == ["timeline_g1", "timeline_g2"]
    assert "timeline: generation 3" in again[0], again[1]
    assert timeline_tables(url) == ["timeline_g3"]
