"""A care-team member id is what a token's subject can be: printable text. Before, an id
pasted with a line break, a tab or a no-break space inside it (``"nurse\\nkim"``) was put on
the care team and answered as recorded, while no token could ever carry that subject, so
the clinician the admin meant stayed locked out and the team listed a member who is no one."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
ASSIGN = mutation("AssignCareTeamMemberInput", "assignCareTeamMember")
TEAM = """query($id: UUID!) { careTeam(clientId: $id) { memberId } }"""


@pytest.mark.parametrize("member_id", ["nurse\nkim", "nurse\tkim", "nurse\u00a0kim"])
async def test_a_member_id_no_token_can_carry_is_refused(api: Api, member_id: str) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Zed", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]

    body = await api.gql(
        ASSIGN,
        {"input": {"clientId": client_id, "memberId": member_id, "role": "NURSE"}},
        role=Role.PROGRAM_ADMIN,
    )
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "memberId", "rule": "member-id",
    }  # fmt: skip
    team = await api.ok(TEAM, {"id": client_id}, role=Role.PROGRAM_ADMIN)
    assert team["careTeam"] == []
    padded = await api.gql(
        ASSIGN,
        {"input": {"clientId": client_id, "memberId": " nurse-kim\t", "role": "NURSE"}},
        role=Role.PROGRAM_ADMIN,
    )
    assert not padded.get("errors"), "surrounding spaces are trimmed, as before"
