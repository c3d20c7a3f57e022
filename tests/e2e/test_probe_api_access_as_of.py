"""``accessAsOf`` names the user it rebuilds: one longer than any actor id is refused
naming ``userId``, where it failed building the actor as an internal error whose message
quoted the whole value."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from carecoord.events.envelope import ACTOR_ID_MAX
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
AS_OF = """query($user: String!, $client: UUID!) {
  accessAsOf(userId: $user, role: NURSE, clientId: $client, at: "2026-01-01T00:00:00Z") {
    userId } }"""


@pytest.mark.shared_platform
async def test_a_user_id_longer_than_any_actor_id_is_refused_naming_it(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Lee", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    too_long = "u" * (ACTOR_ID_MAX + 1)
    body = await api.gql(AS_OF, {"user": too_long, "client": client_id}, role=Role.AUDITOR)
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "userId",
        "rule": "user-id",
    }
    assert too_long not in body["errors"][0]["message"]
    longest = await api.ok(AS_OF, {"user": too_long[1:], "client": client_id}, role=Role.AUDITOR)
    assert longest["accessAsOf"]["userId"] == too_long[1:]
