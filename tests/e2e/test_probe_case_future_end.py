"""A care-team removal stored with an end in the future (recorded before such dates were
refused: a 2099 typed for today) ends the membership when it was recorded. Before, the
member went on reading the client's record until 2099 (``accessAsOf`` agreeing), and nothing
could end it: ending the membership again was refused (the member was no longer on the
team), and a membership started again was refused any date before 2099."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from carecoord.events import Actor, Role
from carecoord.events.careteam import CareTeamMemberEnded
from carecoord.services.careteam.team import CareTeam
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
ASSIGN = mutation("AssignCareTeamMemberInput", "assignCareTeamMember")
AS_OF = """query($client: UUID!, $at: DateTime!) {
  accessAsOf(userId: "ther-2099", role: THERAPIST, clientId: $client, at: $at) {
    memberships { inForce } refusal { rule } } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) { clientTimeline(clientId: $id, atLeast: $atLeast) {
  nodes { type } } }"""
THERAPIST = "ther-2099"
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def ended_in_2099(client_id: UUID) -> Command[None]:
    """The removal as an earlier release recorded it, its end dated as typed."""

    def run(uow: UnitOfWork) -> None:
        team = uow.get(CareTeam, client_id)
        team.record(
            ADMIN.event(
                CareTeamMemberEnded,
                client_id,
                datetime(2099, 1, 1, tzinfo=UTC),
                member_id=THERAPIST,
                role=Role.THERAPIST,
                reason="left the program",
            )
        )

    return run


async def test_a_removal_stored_with_a_future_end_ends_access_when_recorded(api: Api) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Noa", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    position = (await api.platform.bus.execute(ended_in_2099(UUID(client_id)))).position

    body = await api.gql(
        TIMELINE, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    [error] = body["errors"]
    assert error["extensions"]["rule"] == "care-team-or-consent"
    now = datetime.now(UTC).isoformat()
    audited = await api.ok(AS_OF, {"client": client_id, "at": now}, role=Role.AUDITOR)
    assert audited["accessAsOf"] == {  # as the gate decided it
        "memberships": [{"inForce": False}], "refusal": {"rule": "care-team-or-consent"},
    }  # fmt: skip

    back = await api.gql(
        ASSIGN,
        {"input": {"clientId": client_id, "memberId": THERAPIST, "role": "THERAPIST",
                   "occurredAt": datetime.now(UTC).isoformat()}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    assert not back.get("errors"), back
