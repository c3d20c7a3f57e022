"""Who was on a client's care team and at which level of care, over time, through the API."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from carecoord.graphql.export import OPERATIONS_DIR
from support import Api

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
LEVEL = """mutation($input: ChangeLevelOfCareInput!) {
  changeLevelOfCare(input: $input) { id position } }"""
END = """mutation($input: EndCareTeamMembershipInput!) {
  endCareTeamMembership(input: $input) { id position } }"""
HISTORY = (OPERATIONS_DIR / "therapist" / "CareHistory.graphql").read_text(encoding="utf-8")


async def test_levels_of_care_and_care_team_over_time(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL,
        {"input": {"displayName": "Harper", "program": "OTP",
                   "occurredAt": "2026-01-01T10:00:00Z"}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, "ther-ana")
    await api.join_care_team(client_id, Role.NURSE, "nurse-kim")
    for level, asam, when in (
        ("RESIDENTIAL", "3.7", "2026-01-02T10:00:00Z"),
        ("INTENSIVE_OUTPATIENT", "2.1", "2026-02-01T10:00:00Z"),
    ):
        data = await api.ok(
            LEVEL,
            {"input": {"clientId": client_id, "level": level, "asamLevel": asam,
                       "reason": "step down" if asam == "2.1" else "", "occurredAt": when}},
            role=Role.THERAPIST, user="ther-ana",
        )  # fmt: skip
    ended = await api.ok(
        END,
        {"input": {"clientId": client_id, "memberId": "nurse-kim", "reason": "left the program"}},
        role=Role.PROGRAM_ADMIN,
    )
    position = max(
        data["changeLevelOfCare"]["position"], ended["endCareTeamMembership"]["position"]
    )

    # Both fields resolve at once, and `careTeam` takes no `atLeast`: catch up first.
    await api.ok(
        "query($id: UUID!, $p: Seq) { levelOfCareHistory(clientId: $id, atLeast: $p) { level } }",
        {"id": client_id, "p": position}, role=Role.THERAPIST, user="ther-ana",
    )  # fmt: skip
    history = await api.ok(HISTORY, {"clientId": client_id}, role=Role.THERAPIST, user="ther-ana")
    stints = history["levelOfCareHistory"]
    assert [(s["level"], s["asamLevel"], s["since"], s["until"]) for s in stints] == [
        ("RESIDENTIAL", "3.7", "2026-01-02T10:00:00+00:00", "2026-02-01T10:00:00+00:00"),
        ("INTENSIVE_OUTPATIENT", "2.1", "2026-02-01T10:00:00+00:00", None),
    ]
    assert stints[1]["reason"] == "step down"
    assert {s["recordedBy"] for s in stints} == {"ther-ana"}
    team = {m["memberId"]: m for m in history["careTeam"]}
    assert team["ther-ana"]["endedAt"] is None
    assert team["nurse-kim"]["endedReason"] == "left the program"

    # The nurse has left the team: the history is no longer theirs to read.
    refused = await api.gql(HISTORY, {"clientId": client_id}, role=Role.NURSE, user="nurse-kim")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await api.ok(
        (OPERATIONS_DIR / "program_admin" / "CareTeam.graphql").read_text(encoding="utf-8"),
        {"clientId": client_id},
        role=Role.PROGRAM_ADMIN,
    )
    assert [s["level"] for s in admin["levelOfCareHistory"]] == [s["level"] for s in stints]
