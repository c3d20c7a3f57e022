"""``carecoord audit export`` of a record whose events no longer hold to the hash chain says
so: its lines carry no link of the chain, so once out nobody can check them against it. The
export is still written (the record as stored), each break said by position and verdict,
never by what was read, and the exit status is 1, as ``audit verify``'s at a break."""

from __future__ import annotations

import asyncio
import json

import psycopg
from test_audit_export import ADMIN, enroll, export

from carecoord.events.care import LevelOfCare
from carecoord.services.care.commands import change_level_of_care
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.platform import Platform


async def test_an_export_of_a_record_with_an_event_deleted_says_it_is_not_intact(
    platform: Platform,
) -> None:
    client = await enroll(platform, "Jo R.", "North")
    changed = await platform.bus.execute(
        change_level_of_care(ADMIN, client_id=client, level=LevelOfCare.OUTPATIENT)
    )
    await enroll(platform, "Sam K.", "North")  # chained to the event deleted below
    with psycopg.connect(platform.database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(f"DELETE FROM {TABLE} WHERE notification_id = %s", (changed.position,))
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")

    done = await asyncio.to_thread(export, platform, "--client", str(client), "--as", "aud-7")

    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["type"] for line in lines] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
    ]
    assert f"client {client}'s record is not intact" in done.stderr
    assert f"deleted at event {changed.position + 1}" in done.stderr
    assert "Jo R." not in done.stderr
