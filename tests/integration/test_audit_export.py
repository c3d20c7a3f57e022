"""``carecoord audit export`` against a real store: a client's record or a program's, as JSON
Lines or a FHIR R4 Bundle (checked by fhir.resources, R4B), each client exported entered in
the access log as the auditor named by ``--as`` before anything is written out."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from fhir.resources.R4B.bundle import Bundle

from carecoord.events import Actor, Role
from carecoord.events.care import LevelOfCare
from carecoord.services.care.commands import change_level_of_care, enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.users.commands import suspend

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def enroll(platform: Platform, name: str, program: str) -> UUID:
    client: UUID = (
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program=program))
    ).result
    await platform.bus.execute(
        assign_member(ADMIN, client_id=client, member_id="nurse-1", role=Role.NURSE)
    )
    return client


def export(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": platform.database_url}
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def logged(platform: Platform) -> list[dict[str, Any]]:
    with psycopg.connect(platform.database_url) as conn:
        rows = conn.execute(
            "SELECT event FROM access_log WHERE operation LIKE 'auditExport%' ORDER BY seq"
        ).fetchall()
    return [row[0] for row in rows]


async def test_a_clients_record_as_json_lines_and_the_export_is_logged(platform: Platform) -> None:
    client = await enroll(platform, "Jo R.", "North")
    await enroll(platform, "Sam K.", "North")

    done = await asyncio.to_thread(export, platform, "--client", str(client), "--as", "aud-7")

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["type"] for line in lines] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
    ]
    assert {line["client_id"] for line in lines} == {str(client)}
    assert lines[0]["position"] < lines[1]["position"]
    entries = logged(platform)
    assert [(e["client_id"], e["actor"], e["basis"], e["entries_returned"]) for e in entries] == [
        (str(client), {"id": "aud-7", "role": "auditor"}, "audit", 2)
    ]
    assert entries[0]["kinds_returned"] == ["care"]
    assert "access log: 1 entries as aud-7" in done.stderr


async def test_a_program_for_a_period_as_a_fhir_bundle(platform: Platform, tmp_path: Path) -> None:
    first = await enroll(platform, "Jo R.", "North")
    await enroll(platform, "Elsewhere", "South")
    since = datetime.now(UTC)
    second = await enroll(platform, "Sam K.", "North")
    await platform.bus.execute(
        change_level_of_care(ADMIN, client_id=first, level=LevelOfCare.OUTPATIENT)
    )
    out = tmp_path / "north.json"

    done = await asyncio.to_thread(
        export, platform, "--program", "North", "--from", since.isoformat(),
        "--format", "fhir", "--out", str(out), "--as", "aud-7",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    bundle = json.loads(out.read_text())
    Bundle.model_validate(bundle)
    made = [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]]
    # In the period: the second client's enrolment and team, the first client's new level.
    assert ("Patient", str(second)) in made
    assert ("Patient", str(first)) not in made
    assert [kind for kind, _ in made].count("EpisodeOfCare") == 1
    assert sorted(e["client_id"] for e in logged(platform)) == sorted([str(first), str(second)])


async def test_times_without_an_offset_are_refused(platform: Platform) -> None:
    done = await asyncio.to_thread(
        export, platform, "--program", "North", "--from", "2026-01-01T00:00", "--as", "aud-7"
    )
    assert done.returncode == 2
    assert "no UTC offset" in done.stderr
    assert logged(platform) == []


async def test_a_suspended_user_exports_nothing(platform: Platform) -> None:
    client = await enroll(platform, "Jo R.", "North")
    await platform.bus.execute(suspend(ADMIN, user_id="aud-7", reason="left", program=None))

    done = await asyncio.to_thread(export, platform, "--client", str(client), "--as", "aud-7")

    assert done.returncode == 2
    assert "user aud-7 is suspended (user-suspended)" in done.stderr
    assert done.stdout == ""
    assert logged(platform) == []
