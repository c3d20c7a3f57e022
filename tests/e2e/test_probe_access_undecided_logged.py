"""A read of a client's record refused because the access rules had not caught up with a
change (UNAVAILABLE, ``access-rules-catching-up``) is in the access log as a refused read
naming that rule: a nurse removed from the care team who asked for the timeline at once,
while the projector lagged, left no trace of the attempt, though a refusal by the policy is
logged and an auditor looks first at what a member tried just after leaving."""

from __future__ import annotations

import psycopg
import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
TIMELINE = "query($id: UUID!) { clientTimeline(clientId: $id) { nodes { type } } }"
LOG = """query($id: UUID!) { accessLog(clientId: $id, first: 500) {
  readerId operation outcome refusal entriesReturned } }"""
NURSE = "nurse-undecided"


async def test_a_read_the_access_rules_could_not_decide_yet_is_logged_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolment = {"displayName": "Ivo", "program": "OTP"}
    client_id = (await api.ok(ENROLL, {"input": enrolment}, role=Role.PROGRAM_ADMIN))[
        "enrollClient"
    ]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.ok(TIMELINE, {"id": client_id}, role=Role.NURSE, user=NURSE)
    monkeypatch.setattr(api.platform.settings, "read_your_writes_timeout", 0.2)

    with psycopg.connect(api.platform.database_url) as held:
        # The projector cannot apply the removal to the care-team view while this is held.
        held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
        ended = {"clientId": client_id, "memberId": NURSE, "reason": "moved on"}
        await api.ok(END, {"input": ended}, role=Role.PROGRAM_ADMIN)
        body = await api.gql(TIMELINE, {"id": client_id}, role=Role.NURSE, user=NURSE)
        held.rollback()

    [error] = body["errors"]
    assert error["extensions"]["rule"] == "access-rules-catching-up"
    logged = await api.ok(LOG, {"id": client_id}, role=Role.AUDITOR)
    reads = [
        (e["operation"], e["outcome"], e["refusal"], e["entriesReturned"])
        for e in logged["accessLog"]
        if e["readerId"] == NURSE
    ]
    assert reads == [
        ("clientTimeline", "GRANTED", "", 2),
        ("clientTimeline", "REFUSED", "access-rules-catching-up", 0),
    ]
