"""A program admin's check that a user is their program's (``admin-program``) rests on the
care-team view: while it lags a membership just recorded, the admin is told to retry
(UNAVAILABLE), as the gate's own care-team check tells a member, never refused as if the
user were another program's."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SUSPEND = mutation("UserAccessInput", "suspendUser")


async def test_a_lagging_care_team_view_is_no_refusal_of_the_programs_user(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    program, nurse = f"North {uuid4().hex[:8]}", f"nurse-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": program}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    admin = issue_token(api.platform.settings, "admin-north", Role.PROGRAM_ADMIN, program=program)
    left = {"input": {"userId": nurse, "reason": "left the program"}}
    monkeypatch.setattr(api.platform.settings, "read_your_writes_timeout", 0.2)

    with psycopg.connect(api.platform.database_url) as held:
        # The projector cannot apply the membership to the care-team view while this is held.
        held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
        await api.join_care_team(client_id, Role.NURSE, nurse)
        body = await api.gql(SUSPEND, left, token=admin)
        held.rollback()

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "UNAVAILABLE",
        "field": "userId",
        "rule": "access-rules-catching-up",
    }
    await api.ok(SUSPEND, left, token=admin)  # the retry, the view caught up
