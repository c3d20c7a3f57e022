"""An export through the API carries each exported client's events checked against the hash
chain, as the command line's export does: its lines carry no link of the chain, so once out
nobody can tell an export of a changed record from a true one."""

from __future__ import annotations

from typing import Any

from test_access import END, enroll
from test_client_record_verification import tamper

from carecoord.events import Role
from carecoord.services.infrastructure.event_chain import TABLE
from support import Api

EXPORT = """query($id: UUID!) {
  exportClientRecord(clientId: $id) {
    events records { clientId intact eventsChecked broken { position verdict } } } }"""
PROGRAM = """query {
  exportProgramRecord(program: "OTP") { clients records { clientId intact } } }"""
AUDITOR: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}


async def test_an_export_of_a_changed_record_says_it_is_not_intact(api: Api) -> None:
    client_id = await enroll(api)
    await api.join_care_team(client_id, Role.NURSE)
    ended = {"clientId": client_id, "memberId": "nurse-1", "reason": "rotated off"}
    end = (await api.ok(END, {"input": ended}, role=Role.PROGRAM_ADMIN))["endCareTeamMembership"]
    other = await enroll(api, "After T.")  # someone else's event after it, chained to it

    whole = (await api.ok(EXPORT, {"id": client_id}, **AUDITOR))["exportClientRecord"]
    tamper(api, f"DELETE FROM {TABLE} WHERE notification_id = %s", end["position"])
    changed = (await api.ok(EXPORT, {"id": client_id}, **AUDITOR))["exportClientRecord"]
    program = (await api.ok(PROGRAM, None, **AUDITOR))["exportProgramRecord"]

    assert whole["records"] == [
        {"clientId": client_id, "intact": True, "eventsChecked": 3, "broken": None}
    ]
    assert changed["events"] == whole["events"] - 1
    [record] = changed["records"]
    assert record["intact"] is False
    assert record["broken"] == {"position": end["position"] + 1, "verdict": "DELETED"}
    # The other's enrolment, chained to the deleted event, shows the break in theirs too.
    assert {r["clientId"]: r["intact"] for r in program["records"]} == {
        client_id: False,
        other: False,
    }
