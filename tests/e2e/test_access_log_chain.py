"""The access log is hash-chained: an auditor can tell an entry was altered or removed,
through the API or ``carecoord audit verify``, and can export the log as FHIR AuditEvent
resources."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, TypedDict

import psycopg
from audit_cli import audit
from test_access import TIMELINE, access_log, enroll, refusal

from carecoord.events import Role
from carecoord.services.infrastructure.audit_events import USER
from support import Api

VERIFY = """{ verifyAccessLog { intact chain entriesChecked unchained headSeq headHash
  brokenAt rule message } }"""
EXPORT = """query($after: Seq! = 0) { accessLogAuditEvents(after: $after, first: 500) }"""


class Acting(TypedDict):
    role: Role
    user: str


AUDITOR: Acting = {"role": Role.AUDITOR, "user": "auditor-1"}


async def three_reads(api: Api) -> tuple[str, list[dict[str, Any]]]:
    client_id = await enroll(api)
    joined = await api.join_care_team(client_id, Role.NURSE)
    for _ in range(3):
        await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)
    return client_id, await access_log(api, client_id)


async def verification(api: Api) -> dict[str, Any]:
    found: dict[str, Any] = (await api.ok(VERIFY, **AUDITOR))["verifyAccessLog"]
    return found


def tamper(api: Api, statement: str, seq: int) -> None:
    """What someone with database rights could do: lift the append-only trigger and edit."""
    with psycopg.connect(api.platform.database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
        conn.execute(statement, (seq,))
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_no_change")


async def test_an_untouched_log_verifies_and_reports_its_head(api: Api) -> None:
    _, entries = await three_reads(api)

    found = await verification(api)

    assert found["intact"] is True
    assert found["chain"] == "sha256-v1"
    # The three reads, and the auditor's own read of the log (logged after it returned).
    assert found["entriesChecked"] == len(entries) + 1 == 4
    assert found["unchained"] == 0
    assert found["headSeq"] > entries[-1]["seq"]
    assert len(bytes.fromhex(found["headHash"])) == 32
    assert found["brokenAt"] is None


async def test_an_altered_entry_breaks_the_chain_at_that_entry(api: Api) -> None:
    _, entries = await three_reads(api)
    altered = entries[1]["seq"]

    tamper(
        api,
        "UPDATE access_log SET event = jsonb_set(event, '{entries_returned}', '0') WHERE seq = %s",
        altered,
    )
    found = await verification(api)

    assert found["intact"] is False
    assert (found["brokenAt"], found["rule"]) == (altered, "hash")
    assert found["entriesChecked"] == 1
    assert "altered" in found["message"]


async def test_a_removed_entry_breaks_the_link_of_the_next_one(api: Api) -> None:
    _, entries = await three_reads(api)

    tamper(api, "DELETE FROM access_log WHERE seq = %s", entries[1]["seq"])
    found = await verification(api)

    assert (found["brokenAt"], found["rule"]) == (entries[2]["seq"], "prev-hash")


async def test_a_changed_column_is_caught_against_the_entry_it_came_from(api: Api) -> None:
    _, entries = await three_reads(api)

    tamper(api, "UPDATE access_log SET actor_id = 'someone-else' WHERE seq = %s", entries[0]["seq"])
    found = await verification(api)

    assert (found["brokenAt"], found["rule"]) == (entries[0]["seq"], "columns")


async def test_the_command_line_walks_the_access_log_and_exits_one_at_its_break(
    api: Api, tmp_path: Path
) -> None:
    """Before, ``audit verify`` walked the event chain alone and exited 0 over an altered
    access log."""
    _, entries = await three_reads(api)
    url = api.platform.database_url
    intact = audit(url, tmp_path, "verify")
    assert intact.returncode == 0, intact.stderr
    # The three reads, and the auditor's read of the log.
    assert "access log intact (sha256-v1): 4 entries" in intact.stdout

    altered = entries[1]["seq"]
    tamper(
        api,
        "UPDATE access_log SET event = jsonb_set(event, '{entries_returned}', '0') WHERE seq = %s",
        altered,
    )
    said = audit(url, tmp_path, "verify")
    found = audit(url, tmp_path, "verify", "--json")

    assert (said.returncode, found.returncode) == (1, 1), said.stderr
    assert f"access log BROKEN at entry {altered}: hash" in said.stdout
    assert "Alex R." not in said.stdout + found.stdout
    report = json.loads(found.stdout)
    assert report["intact"] is True  # the event chain is untouched
    assert report["accessLog"]["intact"] is False
    assert report["accessLog"]["broken"] == {
        "seq": altered,
        "rule": "hash",
        "message": f"entry {altered} was altered after it was written",
    }
    assert report["accessLog"]["headSeq"] == entries[0]["seq"]


async def test_a_cut_tail_is_caught_against_a_head_kept_from_an_earlier_verification(
    api: Api, tmp_path: Path
) -> None:
    """Removing the newest entries leaves a shorter chain that holds: only the head kept
    from an earlier verification shows it."""
    client_id, entries = await three_reads(api)
    url = api.platform.database_url
    earlier = audit(url, tmp_path, "verify", "--json")
    kept = json.loads(earlier.stdout)["accessLog"]
    head = f"{kept['headSeq']}:{kept['headHash']}"
    await api.ok(TIMELINE, {"id": client_id}, role=Role.NURSE)  # the log grows past it
    grown = audit(url, tmp_path, "verify", "--access-log-head", head)
    assert grown.returncode == 0, grown.stdout

    tamper(api, "DELETE FROM access_log WHERE seq >= %s", entries[2]["seq"])
    alone = audit(url, tmp_path, "verify")
    cut = audit(url, tmp_path, "verify", "--access-log-head", head)

    # A pass of the API resumed after that head: answered empty, as a log with nothing new.
    resumed = await api.gql(EXPORT, {"after": kept["headSeq"]}, **AUDITOR)

    assert alone.returncode == 0, alone.stdout  # a shorter chain holds
    assert cut.returncode == 1, cut.stdout
    assert f"access log BROKEN at entry {kept['headSeq']}: truncated" in cut.stdout
    assert f"the log ends at entry {entries[1]['seq']}," in cut.stdout
    (error,) = resumed["errors"]
    assert error["extensions"]["rule"] == "after-past-head"
    assert "entries were removed since: verifyAccessLog" in error["message"]


async def test_only_auditors_verify_or_export(api: Api) -> None:
    for role in (Role.PROGRAM_ADMIN, Role.PRESCRIBER):
        assert (await refusal(api, VERIFY, {}, role=role))["rule"] == "role-may-read"
        assert (await refusal(api, EXPORT, {}, role=role))["rule"] == "role-may-read"


async def test_the_export_is_fhir_audit_events_carrying_the_chain(api: Api) -> None:
    client_id, entries = await three_reads(api)

    head = await verification(api)
    exported = (await api.ok(EXPORT, **AUDITOR))["accessLogAuditEvents"]

    first = exported[0]
    assert [e["resourceType"] for e in exported] == ["AuditEvent"] * 4
    assert first["action"] == "R"
    assert first["outcome"] == "0"
    assert first["agent"][0]["who"] == {"identifier": {"system": USER, "value": "nurse-1"}}
    assert first["agent"][0]["role"] == [{"text": "nurse"}]
    assert first["entity"][0]["what"] == {"reference": f"Patient/{client_id}"}
    assert first["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"
    chain = {p["url"]: p for p in first["extension"][0]["extension"]}
    assert chain["seq"]["valueInteger"] == entries[0]["seq"]
    # The last entry exported (the auditor's read of the log) is the head verified before.
    last = {p["url"]: p for p in exported[-1]["extension"][0]["extension"]}
    assert base64.b64decode(last["hash"]["valueBase64Binary"]).hex() == head["headHash"]


HEAD = "{ accessLogHead }"
PAGE = """query($id: UUID, $after: Seq!, $through: Seq) {
  accessLog(clientId: $id, after: $after, through: $through, first: 2) { seq operation } }"""
EXPORT_PAGE = """query($after: Seq!, $through: Seq) {
  accessLogAuditEvents(after: $after, through: $through, first: 2) }"""


def chain_seq(resource: dict[str, Any]) -> int:
    [chain] = resource["extension"]
    return int(next(p["valueInteger"] for p in chain["extension"] if p["url"] == "seq"))


async def pass_through(api: Api, after: int, client_id: str | None = None) -> tuple[int, list[int]]:
    """One pass as docs/access.md pages: read the head, then pages after the last seq up to
    it until one comes back empty. Returns the head and the seqs read (of accessLog when a
    client is named, of accessLogAuditEvents otherwise)."""
    head = (await api.ok(HEAD, **AUDITOR))["accessLogHead"]
    seen: list[int] = []
    for _ in range(100):  # a pass that never ends fails here rather than hanging
        given = {"after": seen[-1] if seen else after, "through": head}
        if client_id is None:
            page = [
                chain_seq(r)
                for r in (await api.ok(EXPORT_PAGE, given, **AUDITOR))["accessLogAuditEvents"]
            ]
        else:
            found = await api.ok(PAGE, given | {"id": client_id}, **AUDITOR)
            page = [e["seq"] for e in found["accessLog"]]
        if not page:
            return head, seen
        seen += page
    raise AssertionError(f"paging up to {head} did not end: {len(seen)} entries read")


def stored_seqs(api: Api, after: int, through: int, client_id: str | None = None) -> list[int]:
    with psycopg.connect(api.platform.database_url) as conn:
        rows = conn.execute(
            "SELECT seq FROM access_log WHERE seq > %s AND seq <= %s"
            " AND (%s::uuid IS NULL OR client_id = %s::uuid) ORDER BY seq",
            (after, through, client_id, client_id),
        ).fetchall()
    return [seq for (seq,) in rows]


async def test_paging_up_to_the_head_ends_and_a_later_pass_reads_its_own_reads(api: Api) -> None:
    client_id, _ = await three_reads(api)

    head, first_pass = await pass_through(api, 0, client_id)
    later, second_pass = await pass_through(api, head, client_id)

    assert first_pass == stored_seqs(api, 0, head, client_id)
    assert len(first_pass) >= 3
    # Each page read that returned entries (one client: one entry) was logged after the
    # head it was held to, and is read on the next pass.
    assert second_pass == stored_seqs(api, head, later, client_id)
    own = await api.ok(PAGE, {"id": client_id, "after": head, "through": later}, **AUDITOR)
    assert {e["operation"] for e in own["accessLog"]} == {"accessLog"}
    assert len(second_pass) == len(first_pass) // 2 + len(first_pass) % 2


async def test_exporting_up_to_the_head_ends_and_a_later_pass_reads_its_own_reads(
    api: Api,
) -> None:
    await three_reads(api)

    head, first_pass = await pass_through(api, 0)
    later, second_pass = await pass_through(api, head)

    assert first_pass == stored_seqs(api, 0, head)
    assert len(first_pass) >= 3
    assert second_pass == stored_seqs(api, head, later)
    assert len(second_pass) >= len(first_pass) // 2
