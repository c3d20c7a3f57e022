"""A group's cancellation leaving members out names to its caller only the members whose care
team they are on: a therapist on one member's team was told the client ids of the others
booked, that is who else is in the group, which the member's timeline shows no one (it
gives the group's size), so a clinician off their teams learned who is in SUD treatment."""

from __future__ import annotations

import pytest
from test_therapy_group_cancellation_api import CANCEL_GROUP
from test_therapy_sessions_api import SCHEDULE, Clinic, booking

from carecoord.events import Role
from support import Api, ago, ahead

pytestmark = pytest.mark.shared_platform


async def test_members_left_out_are_named_only_to_a_caller_on_their_team(api: Api) -> None:
    leader = Clinic(api)
    members = [await leader.enroll(name) for name in ("Lu", "Mo", "Ny")]
    session_id = await leader.send(SCHEDULE, **booking(tuple(members), ahead(days=6), ago(hours=1)))
    outsider = f"{leader.therapist}-other"
    await api.join_care_team(members[0], Role.THERAPIST, outsider)
    given = {"sessionId": session_id, "clientIds": members[:1], "reason": "OTHER"}

    body = await api.gql(CANCEL_GROUP, {"input": given}, role=Role.THERAPIST, user=outsider)
    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "clientIds", "every-member",
    )  # fmt: skip
    assert not any(member in error["message"] for member in members[1:]), error["message"]
    told = await leader.refusal(CANCEL_GROUP, **given)
    assert all(member in told["message"] for member in members[1:])
