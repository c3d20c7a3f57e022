"""A stored event that fails today's checks, met by an operator's command: ``rebuild`` and
``audit projections`` stop saying which field and check failed, never the value (they
printed the validation error whole: the event's content, on the terminal and in logs)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
SECRET = "Robin Q. Sample"


def store_a_copy_that_fails_its_checks(platform: Platform) -> None:
    """The first event again under new ids, its name refused by today's bounds."""
    mapper = platform.store.catalog_mapper
    table = sql.Identifier(TABLE)
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        found = conn.execute(
            sql.SQL("SELECT topic, state FROM {} ORDER BY notification_id LIMIT 1").format(table)
        ).fetchone()
        assert found is not None
        topic, state = found
        body = json.loads(mapper.unseal(bytes(state)))
        body.update(event_id=str(uuid.uuid4()), display_name=[SECRET])
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state)"
                " VALUES (%s, 1, %s, %s)"
            ).format(table),
            (uuid.uuid4(), topic, mapper.seal(json.dumps(body).encode())),
        )


def carecoord(platform: Platform, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings = platform.settings
    env = {
        **os.environ,
        "DATABASE_URL": platform.database_url,
        "CARECOORD_SUBJECT_ROOT": settings.subject_root,
        "CARECOORD_STREAM_NAME": settings.stream_name,
        "CARECOORD_DATA_DIR": str(cwd),
    }
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_rebuild_and_audit_name_the_failed_check_not_the_value(
    platform: Platform, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    await asyncio.to_thread(store_a_copy_that_fails_its_checks, platform)

    rebuilt = await asyncio.to_thread(carecoord, platform, tmp_path, "rebuild", "timeline")
    audited = await asyncio.to_thread(carecoord, platform, tmp_path, "audit", "projections")

    assert rebuilt.returncode == 1, rebuilt.stderr
    assert "carecoord rebuild: timeline: an event does not decode" in rebuilt.stderr
    assert audited.returncode == 2, audited.stderr
    for done in (rebuilt, audited):
        assert "(values withheld) ClientEnrolled refused display_name" in done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
