"""An access-log entry altered into something that is no entry, and re-hashed so its own
link holds, is a break ``verifyAccessLog`` names (rule ``columns``, its seq), not an internal
error: reading the entry for its columns raised the validation error, so the auditor's one
tool for finding the altered entry failed as a whole."""

from __future__ import annotations

import json

import psycopg
from test_access_log_chain import three_reads, verification

from carecoord.events import Role
from carecoord.services.infrastructure.access_chain import link
from support import Api


def rewrite_without_actor(api: Api, seq: int) -> None:
    """What someone with database rights could do: drop a field and hash the entry again."""
    with psycopg.connect(api.platform.database_url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT prev_hash, event FROM access_log WHERE seq = %s", (seq,)
        ).fetchone()
        assert found is not None
        prev, entry = bytes(found[0]), found[1]
        del entry["actor"]
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
        conn.execute(
            "UPDATE access_log SET event = %s, hash = %s WHERE seq = %s",
            (json.dumps(entry), link(prev, entry), seq),
        )
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_no_change")


async def test_an_entry_that_no_longer_reads_as_one_is_the_break(api: Api) -> None:
    _, entries = await three_reads(api)
    altered = entries[1]["seq"]

    rewrite_without_actor(api, altered)
    found = await verification(api)

    assert found["intact"] is False
    assert (found["brokenAt"], found["rule"]) == (altered, "columns")
    assert found["entriesChecked"] == 1
    assert "actor" not in found["message"]


async def test_reading_the_log_names_the_altered_entry_and_reads_on_past_it(api: Api) -> None:
    client_id, entries = await three_reads(api)
    altered = entries[1]["seq"]
    rewrite_without_actor(api, altered)
    page = """query($id: UUID!, $after: Seq!) { accessLog(clientId: $id, after: $after) { seq } }"""

    body = await api.gql(page, {"id": client_id, "after": 0}, role=Role.AUDITOR)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "DATA_LOSS"
    assert error["extensions"]["rule"] == "entry-unreadable"
    assert f"entry {altered} " in error["message"]
    assert "actor" not in error["message"]

    rest = await api.ok(page, {"id": client_id, "after": altered}, role=Role.AUDITOR)
    assert [e["seq"] for e in rest["accessLog"]][:1] == [entries[2]["seq"]]
