"""A care-team membership's times are held to what has happened: an end dated in the future,
a start before the client's enrolment or before the member's last membership ended, is
refused naming ``occurredAt`` and records nothing. Before, a program admin who removed a
therapist with ``occurredAt`` mistyped as 2099 saw the removal accepted while the therapist
went on reading the record until 2099, and ending the membership again was refused ("not on
this client's care team"). A start or end within the clock tolerance counts from its
recording, never later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
ASSIGN = mutation("AssignCareTeamMemberInput", "assignCareTeamMember")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
TEAM = """query($id: UUID!, $atLeast: Seq) { clientTimeline(clientId: $id, atLeast: $atLeast) {
  nodes { type } } }"""
THERAPIST = "ther-times"


async def enrolled(api: Api, days_ago: int = 0) -> str:
    given: dict[str, Any] = {"displayName": "Noa", "program": "IOP"}
    if days_ago:
        given["occurredAt"] = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    data = await api.ok(ENROLL, {"input": given}, role=Role.PROGRAM_ADMIN)
    return str(data["enrollClient"]["id"])


async def as_admin(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.PROGRAM_ADMIN)


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    found = error["extensions"]
    return found["code"], found["field"], found["rule"]


async def test_an_end_dated_in_the_future_is_refused_and_the_member_can_still_be_removed(
    api: Api,
) -> None:
    client_id = await enrolled(api)
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)

    later = await as_admin(
        api, END, clientId=client_id, memberId=THERAPIST, reason="left the program",
        occurredAt="2099-01-01T00:00:00Z",
    )  # fmt: skip
    assert refusal(later) == ("BAD_USER_INPUT", "occurredAt", "not-in-future")

    ended = await as_admin(api, END, clientId=client_id, memberId=THERAPIST, reason="left")
    assert not ended.get("errors"), ended
    after = await api.gql(
        TEAM, {"id": client_id, "atLeast": ended["data"]["endCareTeamMembership"]["position"]},
        role=Role.THERAPIST, user=THERAPIST,
    )  # fmt: skip
    assert refusal(after) == ("FORBIDDEN", "clientId", "care-team-or-consent")


async def test_an_end_within_the_clock_tolerance_ends_access_at_once(api: Api) -> None:
    client_id = await enrolled(api)
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    soon = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()

    ended = await as_admin(
        api, END, clientId=client_id, memberId=THERAPIST, reason="left", occurredAt=soon
    )
    assert not ended.get("errors"), ended
    after = await api.gql(
        TEAM, {"id": client_id, "atLeast": ended["data"]["endCareTeamMembership"]["position"]},
        role=Role.THERAPIST, user=THERAPIST,
    )  # fmt: skip
    assert refusal(after) == ("FORBIDDEN", "clientId", "care-team-or-consent")


async def test_a_start_in_the_future_or_before_enrolment_is_refused(api: Api) -> None:
    client_id = await enrolled(api)
    for when, rule in (("2099-01-01T00:00:00Z", "not-in-future"),
                       ("1950-01-01T00:00:00Z", "after-enrolment")):  # fmt: skip
        body = await as_admin(
            api, ASSIGN, clientId=client_id, memberId=THERAPIST, role="THERAPIST", occurredAt=when
        )
        assert refusal(body) == ("BAD_USER_INPUT", "occurredAt", rule)
    soon = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    assigned = await as_admin(
        api, ASSIGN, clientId=client_id, memberId=THERAPIST, role="THERAPIST", occurredAt=soon
    )
    assert not assigned.get("errors"), assigned
    position = assigned["data"]["assignCareTeamMember"]["position"]
    data = await api.ok(
        TEAM, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    kinds = [n["type"] for n in data["clientTimeline"]["nodes"]]
    assert kinds.count("careteam.CareTeamMemberAssigned") == 1, "the refused ones record nothing"


async def test_a_new_membership_does_not_start_before_the_last_one_ended(api: Api) -> None:
    client_id = await enrolled(api, days_ago=2)
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    ended = await as_admin(api, END, clientId=client_id, memberId=THERAPIST, reason="on leave")
    assert not ended.get("errors"), ended
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    overlapping = await as_admin(
        api, ASSIGN, clientId=client_id, memberId=THERAPIST, role="THERAPIST", occurredAt=earlier
    )
    assert refusal(overlapping) == ("BAD_USER_INPUT", "occurredAt", "start-after-last-end")
    back = await as_admin(api, ASSIGN, clientId=client_id, memberId=THERAPIST, role="THERAPIST")
    assert not back.get("errors"), back
