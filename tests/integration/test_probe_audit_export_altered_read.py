"""``audit export --format fhir`` carries the record's logged reads: one altered in the
database into something that is no entry is named by its seq in one line, exit 2, nothing
written, where the command ended in an uncaught traceback. JSON Lines, which carry no reads,
are still exported."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
from audit_cli import export

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def drop_actor(database_url: str, auditor: str) -> int:
    """What someone with database rights could do: lift the append-only trigger and take a
    field out of the export's own entry; its seq."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT seq FROM access_log WHERE actor_id = %s", (auditor,)
        ).fetchone()
        assert found is not None
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
        conn.execute("UPDATE access_log SET event = event - 'actor' WHERE seq = %s", found)
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_no_change")
    return int(found[0])


async def test_a_logged_read_altered_into_no_entry_is_named_and_nothing_written(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    client = str(enrolled.result)
    url, out = platform.database_url, tmp_path / "record.json"
    first = await asyncio.to_thread(
        export, url, tmp_path, "--as", "aud-altered", "--client", client
    )
    assert first.returncode == 0, first.stderr
    seq = await asyncio.to_thread(drop_actor, url, "aud-altered")

    fhir = await asyncio.to_thread(
        export, url, tmp_path, "--as", "aud-2", "--client", client, "--format", "fhir",
        "--out", str(out),
    )  # fmt: skip
    jsonl = await asyncio.to_thread(export, url, tmp_path, "--as", "aud-2", "--client", client)

    assert fhir.returncode == 2, fhir.stderr
    assert "Traceback" not in fhir.stderr
    assert f"access-log entry {seq}, a read of client {client}'s record" in fhir.stderr
    assert not out.exists()
    assert jsonl.returncode == 0, jsonl.stderr
    assert len(jsonl.stdout.splitlines()) == 1
