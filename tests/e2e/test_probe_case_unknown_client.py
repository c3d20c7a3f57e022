"""Ending a care-team membership or revoking a consent of a client no one enrolled is refused
naming ``clientId`` (``unknown-client``), as assigning a member or recording a consent is.
Before, a program admin who mistyped the client's id was told the member "is not on this
client's care team" (``memberId``) or that the client "has no consent" (``consentId``): the
member or the consent looked already gone, and the mistyped id went unnoticed."""

from __future__ import annotations

from uuid import uuid4

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
REVOKE = mutation("RevokeConsentInput", "revokeConsent")


@pytest.mark.parametrize(
    ("query", "given"),
    [
        (END, {"memberId": "nurse-kim", "reason": "rotated"}),
        (REVOKE, {"consentId": str(uuid4())}),
    ],
    ids=["end-membership", "revoke-consent"],
)
async def test_a_change_for_a_client_no_one_enrolled_names_the_client(
    api: Api, query: str, given: dict[str, str]
) -> None:
    body = await api.gql(
        query, {"input": {"clientId": str(uuid4()), **given}}, role=Role.PROGRAM_ADMIN
    )
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "NOT_FOUND", "field": "clientId", "rule": "unknown-client",
    }, error  # fmt: skip
