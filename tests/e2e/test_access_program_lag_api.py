"""Whether a client is in the program an admin's token names rests on the enrolments (the
timeline view): while it lags an enrolment just recorded, the admin is told to retry
(UNAVAILABLE), never refused as if the client were another program's."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import ASSIGN_CARE_TEAM_MEMBER, Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")


async def test_a_lagging_enrolment_is_no_refusal_of_the_programs_client(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = f"North {uuid4().hex[:8]}"
    admin = issue_token(api.platform.settings, "admin-north", Role.PROGRAM_ADMIN, program=program)
    monkeypatch.setattr(api.platform.settings, "read_your_writes_timeout", 0.2)

    with psycopg.connect(api.platform.database_url) as held:
        # The projector cannot apply the enrolment to the timeline view while this is held.
        held.execute("LOCK TABLE timeline IN EXCLUSIVE MODE")
        enrolled = await api.ok(
            ENROLL, {"input": {"displayName": "Sam", "program": program}}, token=admin
        )
        client_id = enrolled["enrollClient"]["id"]
        member = {"input": {"clientId": client_id, "memberId": "nurse-1", "role": "NURSE"}}
        body = await api.gql(ASSIGN_CARE_TEAM_MEMBER, member, token=admin)
        held.rollback()

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "UNAVAILABLE",
        "field": "clientId",
        "rule": "enrolments-catching-up",
    }
    await api.ok(ASSIGN_CARE_TEAM_MEMBER, member, token=admin)  # the retry, caught up
