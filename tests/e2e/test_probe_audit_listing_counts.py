"""A listing that shows several rows of one client logs their number: ``breakGlassUses``
and the access log's pages logged one entry returned per client whatever they showed, so
two emergency accesses to a client, or an auditor's page of twenty reads of their record,
read in the log as one row shown, where the lot ledger and the DEA log counted each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_access import BREAK_GLASS, TIMELINE, access_log, enroll

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

USES = """query($since: DateTime!) { breakGlassUses(since: $since) { accessId clientId } }"""
AUDIT_EVENTS = """query($after: Seq!) { accessLogAuditEvents(after: $after, first: 500) }"""
HEAD = "{ accessLogHead }"


def counts(entries: list[dict[str, object]], operation: str) -> list[object]:
    return [e["entriesReturned"] for e in entries if e["operation"] == operation]


async def test_each_client_is_logged_with_the_rows_shown_of_them(api: Api) -> None:
    since = datetime.now(UTC).isoformat()
    client = await enroll(api, "Ash V.")
    for nurse in ("nurse-glass-1", "nurse-glass-2"):
        reason = "found unresponsive, needs the medication list now"
        broke = await api.ok(
            BREAK_GLASS, {"input": {"clientId": client, "reason": reason}},
            role=Role.NURSE, user=nurse,
        )  # fmt: skip
        at = broke["breakGlass"]["position"]
        await api.ok(TIMELINE, {"id": client, "atLeast": at}, role=Role.NURSE, user=nurse)
    head = (await api.ok(HEAD, role=Role.AUDITOR, user="auditor-1"))["accessLogHead"]

    uses = await api.ok(USES, {"since": since}, role=Role.PROGRAM_ADMIN)
    read = await access_log(api, client)
    events = await api.ok(AUDIT_EVENTS, {"after": head}, role=Role.AUDITOR, user="auditor-1")

    assert [u["clientId"] for u in uses["breakGlassUses"]].count(client) == 2
    logged = await access_log(api, client)
    assert counts(logged, "breakGlassUses") == [2]
    shown = [e for e in read if e["clientId"] == client]
    assert len(shown) == 3  # the two emergency reads and the listing
    assert counts(logged, "accessLog")[0] == len(shown)
    about = [
        e for e in events["accessLogAuditEvents"]
        if e["entity"][0]["what"]["reference"] == f"Patient/{client}"
    ]  # fmt: skip
    assert len(about) >= 2
    assert counts(logged, "accessLogAuditEvents") == [len(about)]
