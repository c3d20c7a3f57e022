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
