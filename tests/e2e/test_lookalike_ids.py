"""An id a person is known by reads one way, through the API. Before, a program admin put
``nurse-<Cyrillic a>nna`` on a client's care team and it was listed as nurse-anna, and a
token with that subject signed every record as someone who reads as nurse-anna."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import ASSIGN_CARE_TEAM_MEMBER, Api, mutation

pytestmark = pytest.mark.shared_platform

LOOKALIKE = "nurse-\u0430nna"
"""nurse-anna with a Cyrillic a (U+0430)."""
ENROLL = mutation("EnrollClientInput", "enrollClient")
TEAM = """query($id: UUID!, $atLeast: Seq) {
  careTeam(clientId: $id, atLeast: $atLeast) { memberId } }"""


async def enroll(api: Api) -> str:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Lee", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = data["enrollClient"]["id"]
    return client_id


async def assign(
    api: Api, client_id: str, member_id: str, token: str | None = None
) -> dict[str, Any]:
    return await api.gql(
        ASSIGN_CARE_TEAM_MEMBER,
        {"input": {"clientId": client_id, "memberId": member_id, "role": "NURSE"}},
        role=Role.PROGRAM_ADMIN,
        token=token,
    )


async def team_after(api: Api, client_id: str, member_id: str) -> list[str]:
    """The care team once a membership of ``member_id`` recorded now has been projected: what
    a refusal before it had recorded would be there too."""
    recorded = await assign(api, client_id, member_id)
    position = recorded["data"]["assignCareTeamMember"]["position"]
    data = await api.ok(TEAM, {"id": client_id, "atLeast": position}, role=Role.PROGRAM_ADMIN)
    return [member["memberId"] for member in data["careTeam"]]


async def test_a_care_team_member_named_by_a_lookalike_id_is_refused(api: Api) -> None:
    client_id = await enroll(api)

    body = await assign(api, client_id, LOOKALIKE)

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "memberId", "rule": "unmistakable-id",
    }  # fmt: skip
    assert "U+0430 CYRILLIC SMALL LETTER A" in error["message"]
    assert await team_after(api, client_id, "nurse-anna") == ["nurse-anna"]


async def test_a_member_whose_id_reads_as_a_team_members_is_refused(api: Api) -> None:
    client_id = await enroll(api)
    await assign(api, client_id, "nurse-lee")

    body = await assign(api, client_id, "Nurse-1ee")

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "memberId", "rule": "unmistakable-id",
    }  # fmt: skip
    assert "reads as nurse-lee" in error["message"]
    # In capitals, its I reads as an l: NURSE-KIM is nurse-kim, not another member.
    await assign(api, client_id, "nurse-kim")
    [capitals] = (await assign(api, client_id, "NURSE-KIM"))["errors"]
    assert "reads as nurse-kim" in capitals["message"]
    assert await team_after(api, client_id, "nurse-ola") == ["nurse-lee", "nurse-kim", "nurse-ola"]


async def test_a_token_whose_subject_reads_as_another_users_is_unauthenticated(
    api: Api,
) -> None:
    client_id = await enroll(api)
    token = issue_token(api.platform.settings, "admin-\u0430nna", Role.PROGRAM_ADMIN)

    body = await assign(api, client_id, "nurse-kim", token=token)

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "UNAUTHENTICATED", "field": "authorization", "rule": "token-subject-lookalike",
    }  # fmt: skip
    assert await team_after(api, client_id, "nurse-ola") == ["nurse-ola"]
