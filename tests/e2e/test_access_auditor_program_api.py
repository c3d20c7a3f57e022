"""An auditor whose token names a program audits that program's clients only, as a program
admin's token keeps them to theirs: the claim kept an auditor to their program's stock site
alone, and they exported, and read the access log of, every program's clients."""

from __future__ import annotations

from uuid import uuid4

import pytest
from test_access_admin_program import enroll

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import ASSIGN_CARE_TEAM_MEMBER, Api

pytestmark = pytest.mark.shared_platform

EXPORT = "query($id: UUID!) { exportClientRecord(clientId: $id) { events } }"
PROGRAM_EXPORT = "query($p: String!) { exportProgramRecord(program: $p) { events } }"
HEAD = "query { accessLogHead }"
ACCESS_LOG = "query($a: Seq!) { accessLog(after: $a) { clientId } }"
AUDIT_EVENTS = "query($a: Seq!) { accessLogAuditEvents(after: $a) }"
USER_CHANGES = "query($u: String!) { userAccessChanges(userId: $u) { change } }"
REFUSED = {"code": "FORBIDDEN", "field": "clientId", "rule": "auditor-program"}


async def test_an_auditor_of_one_program_audits_no_other(api: Api) -> None:
    north, south = f"North {uuid4().hex[:8]}", f"South {uuid4().hex[:8]}"
    ours, theirs = await enroll(api, north), await enroll(api, south)
    member = f"nurse-{uuid4().hex[:8]}"
    given = {"clientId": theirs, "memberId": member, "role": "NURSE"}
    await api.ok(ASSIGN_CARE_TEAM_MEMBER, {"input": given}, role=Role.PROGRAM_ADMIN)
    head = (await api.ok(HEAD, role=Role.AUDITOR))["accessLogHead"]
    for client in (ours, theirs):  # each read once by an auditor of every program
        await api.ok(EXPORT, {"id": client}, role=Role.AUDITOR)
    auditor = issue_token(api.platform.settings, "auditor-north", Role.AUDITOR, program=north)

    own = await api.gql(EXPORT, {"id": ours}, token=auditor)
    other = await api.gql(EXPORT, {"id": theirs}, token=auditor)
    other_program = await api.gql(PROGRAM_EXPORT, {"p": south}, token=auditor)
    user = await api.gql(USER_CHANGES, {"u": member}, token=auditor)
    logged = await api.ok(ACCESS_LOG, {"a": head}, token=auditor)
    events = await api.ok(AUDIT_EVENTS, {"a": head}, token=auditor)

    assert "errors" not in own, own
    assert other["errors"][0]["extensions"] == REFUSED
    assert other_program["errors"][0]["extensions"] == {**REFUSED, "field": "program"}
    assert user["errors"][0]["extensions"] == {**REFUSED, "field": "userId"}
    seen = {entry["clientId"] for entry in logged["accessLog"]}
    assert (ours in seen, theirs in seen) == (True, False)
    assert (ours in str(events), theirs in str(events)) == (True, False)
