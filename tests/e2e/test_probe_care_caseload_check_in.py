"""Any check-in counts as one on the caseload, whatever it reports. Before, a check-in that
reported substance use, side effects or a note but no craving, mood or sleep score made no
point of the check-in series the caseload read, so the client who had just told their peer
supporter "I used fentanyl" still showed as never checked in and fell overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from carecoord.events import Role
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId lastCheckInAt checkInOverdue } } }"""
PEER = "peer-caseload"


async def test_a_check_in_without_scores_counts_as_the_last_check_in(api: Api) -> None:
    enrolled = (datetime.now(UTC) - timedelta(days=21)).isoformat()
    clients = []
    for name in ("Wren", "Xan", "Yael"):
        data = await api.ok(
            ENROLL,
            {"input": {"displayName": name, "program": "OTP", "occurredAt": enrolled}},
            role=Role.PROGRAM_ADMIN,
        )
        clients.append(data["enrollClient"]["id"])
        await api.join_care_team(clients[-1], Role.PEER_SUPPORTER, PEER)
    reports: tuple[dict[str, Any], ...] = (
        {"substanceUse": True, "substances": ["fentanyl"]},
        {"sideEffects": ["constipation"]},
        {"note": "doing fine, busy week"},
    )
    position = 0
    for client_id, report in zip(clients, reports, strict=True):
        done = await api.gql(
            CHECK_IN, {"input": {"clientId": client_id, **report}},
            token=api.token(Role.CLIENT, client_id),
        )  # fmt: skip
        position = max(position, done["data"]["recordCheckIn"]["position"])

    found = await api.ok(CASELOAD, {"atLeast": position}, role=Role.PEER_SUPPORTER, user=PEER)
    lines = {line["clientId"]: line for line in found["myCaseload"]["clients"]}
    assert set(lines) == set(clients)
    for client_id in clients:
        assert lines[client_id]["lastCheckInAt"] is not None, lines[client_id]
        assert lines[client_id]["checkInOverdue"] is False
