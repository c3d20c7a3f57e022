"""``alertsForMyCaseload`` resumed ``after`` the last position it pushed gets every alert of
the caseload raised since, in order, each as it stands (one resolved meanwhile shows so).
Before, those resolved by the time the feed read them were left out: a nurse's device that
was offline while a colleague raised and resolved an alert never got it, where one online
did, and an alert resolved within the projector's batch reached no subscriber at all."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
RESOLVE = mutation("AlertNoteInput", "resolveAlert")
ALERTS = """query($id: UUID!, $at: Seq) {
  clientAlerts(clientId: $id, atLeast: $at) { alertId position status } }"""
CASELOAD_ALERTS = """subscription($after: Seq) {
  alertsForMyCaseload(after: $after) { alertId position status } }"""
NURSE = "nurse-resumes-resolved"


async def next_message(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return message


async def use_reported(api: Api, client_id: str) -> dict[str, Any]:
    """A check-in reporting use: one alert (substance-use-reported), as the view holds it."""
    given = {"input": {"clientId": client_id, "substanceUse": True}}
    recorded = await api.ok(CHECK_IN, given, role=Role.NURSE, user=NURSE)
    at = recorded["recordCheckIn"]["position"]
    raised = await api.ok(ALERTS, {"id": client_id, "at": at}, role=Role.NURSE, user=NURSE)
    alert: dict[str, Any] = max(raised["clientAlerts"], key=lambda a: a["position"])
    return alert


async def test_a_resumed_feed_gets_an_alert_resolved_while_it_was_away(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Ode", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    last_seen = await api.join_care_team(client_id, Role.NURSE, NURSE)
    missed = await use_reported(api, client_id)
    note = {"clientId": client_id, "alertId": missed["alertId"], "note": "called, safe"}
    resolved = await api.ok(RESOLVE, {"input": note}, role=Role.NURSE, user=NURSE)
    at = resolved["resolveAlert"]["position"]
    await api.ok(ALERTS, {"id": client_id, "at": at}, role=Role.NURSE, user=NURSE)
    later = await use_reported(api, client_id)

    token = api.token(Role.NURSE, NURSE)
    async with api.subscription(token, CASELOAD_ALERTS, {"after": last_seen}) as ws:
        pushed = [(await next_message(ws))["payload"]["data"]["alertsForMyCaseload"]]
        pushed.append((await next_message(ws))["payload"]["data"]["alertsForMyCaseload"])

    assert pushed == [
        {"alertId": missed["alertId"], "position": missed["position"], "status": "RESOLVED"},
        {"alertId": later["alertId"], "position": later["position"], "status": "OPEN"},
    ]
