"""What a user could see at a time refuses more care-team memberships or emergency accesses
of the user than one read answers, naming ``userId`` (``rows-at-most``), as it does the
consents naming them: each list was answered whole, however many years made it. The bound is
lowered here: the code reads it as it answers. A time to come is refused (``at``,
``not-in-future``): it was answered, judging consents and memberships in force or expired by
a moment that had not happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.events import Role
from carecoord.graphql import log_pages
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
AS_OF = """query($id: UUID!, $at: DateTime!, $user: String!) {
  accessAsOf(userId: $user, role: NURSE, clientId: $id, at: $at) {
    memberships { startedAt } breakGlassUses { accessId } } }"""
AUDITOR: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}


async def enrolled(api: Api) -> str:
    enrolment = {"displayName": "Bo", "program": "IOP", "occurredAt": "2026-01-01T10:00:00Z"}
    data = await api.ok(ENROLL, {"input": enrolment}, role=Role.PROGRAM_ADMIN)
    return str(data["enrollClient"]["id"])


async def refused_past_two(api: Api, client_id: str, user: str, key: str, said: str) -> None:
    """Whole with the bound as shipped; refused naming userId once it is 2."""
    variables = {"id": client_id, "at": datetime.now(UTC).isoformat(), "user": user}
    whole = (await api.ok(AS_OF, variables, **AUDITOR))["accessAsOf"]
    assert len(whole[key]) == 3
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(log_pages, "MAX_ROWS", 2)
        body = await api.gql(AS_OF, variables, **AUDITOR)
    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == ("userId", "rows-at-most")
    assert f"more than 2 {said}" in error["message"]


async def test_memberships_of_a_user_past_the_most_rows_refuse_what_they_could_see(
    api: Api,
) -> None:
    client_id, nurse = await enrolled(api), "nurse-rejoined"
    for n in range(3):
        await api.join_care_team(client_id, Role.NURSE, nurse)
        if n < 2:
            ended = {"clientId": client_id, "memberId": nurse, "reason": "rotated"}
            await api.ok(END, {"input": ended}, role=Role.PROGRAM_ADMIN)

    await refused_past_two(api, client_id, nurse, "memberships", "care-team memberships")


async def test_emergency_accesses_of_a_user_past_the_most_rows_refuse_what_they_could_see(
    api: Api,
) -> None:
    client_id, nurse = await enrolled(api), "nurse-glass-thrice"
    for _ in range(3):
        given = {"clientId": client_id, "reason": "found unresponsive in the lobby"}
        await api.ok(BREAK_GLASS, {"input": given}, role=Role.NURSE, user=nurse)

    await refused_past_two(api, client_id, nurse, "breakGlassUses", "emergency accesses")


async def test_a_time_to_come_is_refused_naming_at(api: Api) -> None:
    client_id = await enrolled(api)
    ahead = datetime.now(UTC) + timedelta(days=30)
    variables = {"id": client_id, "at": ahead.isoformat(), "user": "nurse-1"}

    body = await api.gql(AS_OF, variables, **AUDITOR)

    [error] = body["errors"]
    extensions = error["extensions"]
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "at")
    assert extensions["rule"] == "not-in-future"
    assert "is in the future" in error["message"]
    skewed = datetime.now(UTC) + timedelta(minutes=2)  # a workstation's clock a little ahead
    assert await api.ok(AS_OF, variables | {"at": skewed.isoformat()}, **AUDITOR)
