"""What a user could see at T is rebuilt from the client's events, so it is only as sound as
they are: a membership's end deleted from the store reads as one still in force. The answer
carries the client's events checked against the hash chain, so an auditor is not handed a
rebuilt standing as proof when the record under it was changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from test_access import END, enroll
from test_client_record_verification import tamper

from carecoord.events import Role
from carecoord.services.infrastructure.event_chain import TABLE
from support import Api

AS_OF = """query($id: UUID!, $at: DateTime!) {
  accessAsOf(userId: "nurse-1", role: NURSE, clientId: $id, at: $at) {
    grant { basis } refusal { rule }
    record { intact eventsChecked broken { position verdict } } } }"""
AUDITOR: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}


async def as_of_now(api: Api, client_id: str) -> dict[str, Any]:
    variables = {"id": client_id, "at": datetime.now(UTC).isoformat()}
    found: dict[str, Any] = (await api.ok(AS_OF, variables, **AUDITOR))["accessAsOf"]
    return found


async def test_a_standing_rebuilt_from_a_changed_record_says_the_record_is_not_intact(
    api: Api,
) -> None:
    client_id = await enroll(api)
    await api.join_care_team(client_id, Role.NURSE)
    ended = {"clientId": client_id, "memberId": "nurse-1", "reason": "rotated off"}
    end = (await api.ok(END, {"input": ended}, role=Role.PROGRAM_ADMIN))["endCareTeamMembership"]
    await enroll(api, "After T.")  # someone else's event after it, still chained to it

    whole = await as_of_now(api, client_id)
    tamper(api, f"DELETE FROM {TABLE} WHERE notification_id = %s", end["position"])
    changed = await as_of_now(api, client_id)

    assert whole["refusal"] == {"rule": "care-team-or-consent"}
    assert whole["record"] == {"intact": True, "eventsChecked": 3, "broken": None}
    assert changed["grant"] == {"basis": "CARE_TEAM"}  # the deleted end no longer counts
    assert changed["record"]["intact"] is False
    assert changed["record"]["broken"] == {"position": end["position"] + 1, "verdict": "DELETED"}
