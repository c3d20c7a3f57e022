"""An access log numbered past 2,147,483,647 is read, paged and verified as before. Its seqs
are a bigint's, and an entry is written for every read (a listing's, one a client), so a
busy platform's log gets there; GraphQL's ``Int`` stops there, and every seq past it was
refused: ``accessLogHead``, ``verifyAccessLog`` and ``accessLog`` answered a validation
error, and ``after`` and ``through`` could not name the entries past it."""

from __future__ import annotations

import psycopg
from test_access import TIMELINE
from test_access_log_chain import AUDITOR, three_reads

from carecoord.events import Role
from support import Api

PAST_INT = 2**31 + 10
HEAD = "{ accessLogHead verifyAccessLog { intact headSeq entriesChecked brokenAt } }"
PAGE = """query($after: Seq!, $through: Seq) {
  accessLog(after: $after, through: $through, first: 10) { seq operation } }"""
EVENTS = """query($after: Seq!) { accessLogAuditEvents(after: $after, first: 10) }"""


async def test_a_log_numbered_past_a_32_bit_int_is_read_paged_and_verified(api: Api) -> None:
    client_id, _ = await three_reads(api)
    with psycopg.connect(api.platform.database_url, autocommit=True) as conn:
        conn.execute("SELECT setval('access_log_seq_seq', %s)", (PAST_INT,))
    await api.ok(TIMELINE, {"id": client_id}, role=Role.NURSE)

    found = await api.ok(HEAD, **AUDITOR)
    page = await api.ok(PAGE, {"after": PAST_INT, "through": PAST_INT + 1}, **AUDITOR)
    events = await api.ok(EVENTS, {"after": PAST_INT}, **AUDITOR)

    assert found["accessLogHead"] == PAST_INT + 1
    assert found["verifyAccessLog"]["intact"] is True
    assert found["verifyAccessLog"]["headSeq"] == PAST_INT + 1
    assert found["verifyAccessLog"]["brokenAt"] is None
    assert page["accessLog"] == [{"seq": PAST_INT + 1, "operation": "clientTimeline"}]
    assert len(events["accessLogAuditEvents"]) >= 1


async def test_a_seq_that_is_not_a_whole_number_is_refused_naming_it(api: Api) -> None:
    """A seq written 5.5 in the query itself was taken as 5: an auditor paging after an
    entry that is no entry was shown the page after another (a variable was refused)."""
    for after in (5.5, 2**63, "5", True):
        answer = await api.gql(PAGE, {"after": after}, **AUDITOR)
        [error] = answer["errors"]
        assert "data" not in answer or answer["data"] is None
        assert "$after" in error["message"], error["message"]
    whole = await api.ok(PAGE, {"after": 0.0}, **AUDITOR)  # written 0.0: the whole 0
    assert isinstance(whole["accessLog"], list)
    written = await api.gql("{ accessLog(after: 5.5, first: 10) { seq } }", **AUDITOR)
    [error] = written["errors"]
    assert "5.5" in error["message"], error["message"]
