"""Past the most alerts a list answers with, ``clientAlerts`` and ``myAlerts`` keep the newest
(still oldest first), not the oldest. Before, they answered with the oldest: a client who had
reported use at every check-in for a year or two had their newest alerts (a PHQ-9 item 9
among them) missing from both lists with nothing to say so, and a clinician whose queue held
that many open alerts never saw a new one there."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from carecoord.graphql import alerts as alerts_api
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
CLIENT_ALERTS = """query($id: UUID!, $atLeast: Int) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId } }"""
MY_ALERTS = """query($atLeast: Int) { myAlerts(atLeast: $atLeast) { ruleId } }"""
NURSE = "nurse-many-alerts"


async def test_the_newest_alerts_are_kept_past_the_limit(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts_api, "MAX_ALERTS", 3)
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ari", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    token = api.token(Role.CLIENT, client_id)
    for _ in range(4):
        await api.ok(
            CHECK_IN, {"input": {"clientId": client_id, "substanceUse": True}}, token=token
        )
    answers = [{"item": str(i), "value": 1} for i in range(1, 10)]
    scored = await api.ok(
        SCORE,
        {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": answers}},
        role=Role.NURSE,
        user=NURSE,
    )
    position = scored["scoreInstrument"]["position"]

    found = await api.ok(
        CLIENT_ALERTS, {"id": client_id, "atLeast": position}, role=Role.NURSE, user=NURSE
    )
    assert [a["ruleId"] for a in found["clientAlerts"]] == [
        "substance-use-reported", "substance-use-reported", "phq9-item9",
    ]  # fmt: skip
    mine = await api.ok(MY_ALERTS, {"atLeast": position}, role=Role.NURSE, user=NURSE)
    assert [a["ruleId"] for a in mine["myAlerts"]][-1] == "phq9-item9"
