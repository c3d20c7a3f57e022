"""``audit export`` of a record holding a stored event that no longer decodes exits 2 with
one line that names no value, and logs no export: the validation error went uncaught, a
traceback and exit 1 (the command's statuses are 0 exported, 2 not exported). The line names
the event's position, as ``audit verify`` names where the chain breaks: it said only what did
not decode, and an auditor could not tell which of years of events to look at."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import psycopg
from audit_cli import export
from undecodable import as_a_later_release_stored

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NAME = "Quincy Undecodable"
DROP_PROGRAM = (
    f"UPDATE {TABLE} SET state = convert_to((convert_from(state, 'UTF8')::jsonb - 'program')"
    "::text, 'UTF8') WHERE notification_id = %s"
)


async def test_a_record_with_an_event_that_does_not_decode_is_not_exported(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name=NAME, program="OTP"))
    client = str(enrolled.result)
    with psycopg.connect(platform.database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(DROP_PROGRAM, (enrolled.position,))
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")

    done = await asyncio.to_thread(
        export, platform.database_url, tmp_path, "--as", "aud-undecodable", "--client", client
    )

    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "carecoord audit export: cannot read the record" in done.stderr
    assert f"the event at position {enrolled.position} does not decode" in done.stderr
    assert "Traceback" not in done.stderr
    assert NAME not in done.stderr
    with psycopg.connect(platform.database_url) as conn:
        logged = conn.execute(
            "SELECT count(*) FROM access_log WHERE actor_id = 'aud-undecodable'"
        ).fetchone()
    assert logged == (0,)


async def test_an_enrolment_of_a_later_release_keeps_no_other_programs_export_from_being_made(
    platform: Platform, tmp_path: Path
) -> None:
    """A stored enrolment of a later release (read after a rollback) stopped the export of
    every program, whichever its own: it counts by the program its body names."""
    program = f"North {uuid.uuid4().hex[:8]}"
    kept = await platform.bus.execute(enroll_client(ADMIN, display_name=NAME, program=program))
    later = await platform.bus.execute(
        enroll_client(ADMIN, display_name=NAME, program=f"South {program}")
    )
    # Chained as that release would have stored it: changed in place alone, the chain broke,
    # and the export refuses a record not intact whatever it holds.
    await asyncio.to_thread(
        as_a_later_release_stored, platform, later.position, {"schema_version": 99}
    )
    done = await asyncio.to_thread(
        export, platform.database_url, tmp_path, "--as", "aud-later", "--program", program
    )
    refused = await asyncio.to_thread(
        export,
        platform.database_url,
        tmp_path,
        "--as",
        "aud-later",
        "--program",
        f"South {program}",
    )

    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["client_id"] for line in done.stdout.splitlines()] == [
        str(kept.result)
    ]
    assert refused.returncode == 2
    assert f"the event at position {later.position} does not decode" in refused.stderr
