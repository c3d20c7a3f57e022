"""A person a mutation names is none of the platform's own ids, through the API: before, a
program admin put ``system`` on a client's care team, and the audit log read what that
member did as the platform's own act."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import ASSIGN_CARE_TEAM_MEMBER, Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
TEAM = """query($id: UUID!, $atLeast: Seq) {
  careTeam(clientId: $id, atLeast: $atLeast) { memberId } }"""


async def test_a_care_team_member_named_system_is_refused_naming_field_and_rule(
    api: Api,
) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Lee", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]

    def assign(member_id: str) -> dict[str, object]:
        return {"input": {"clientId": client_id, "memberId": member_id, "role": "NURSE"}}

    body = await api.gql(ASSIGN_CARE_TEAM_MEMBER, assign("System"), role=Role.PROGRAM_ADMIN)

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "memberId", "rule": "reserved-id",
    }  # fmt: skip
    assert error["message"].startswith("memberId reads as system, an id the platform's own")
    recorded = await api.ok(ASSIGN_CARE_TEAM_MEMBER, assign("nurse-ola"), role=Role.PROGRAM_ADMIN)
    position = recorded["assignCareTeamMember"]["position"]
    team = await api.ok(TEAM, {"id": client_id, "atLeast": position}, role=Role.PROGRAM_ADMIN)
    assert [member["memberId"] for member in team["careTeam"]] == ["nurse-ola"]
