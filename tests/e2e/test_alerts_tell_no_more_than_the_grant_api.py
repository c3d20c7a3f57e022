"""An alert shows only to a reader who may see what it tells of: a QTc alert says the client
takes methadone, so a peer supporter on the care team, who sees no orders, is not shown it in
the client's alerts, their alert queue, their caseload's count or the client's timeline,
while a PHQ-9 item 9 alert (a check-in's) and a no-show run (for outreach) reach them as
before. Before, every alert reached every role whose grant showed alerts at all. What an
auditor is told the peer supporter could see (``accessAsOf``) leaves it out as well."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from medication_steps import NURSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PEER = "peer-alerts-told"
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId } }"""
MY_ALERTS = (
    """query($atLeast: Seq) { myAlerts(atLeast: $atLeast) { alerts { clientId ruleId } } }"""
)
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId openAlerts highestAlertSeverity } } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, first: 500, atLeast: $atLeast) {
    edges { node { type summary } } } }"""
AS_OF = """query($user: String!, $id: UUID!, $at: DateTime!) {
  accessAsOf(userId: $user, role: PEER_SUPPORTER, clientId: $id, at: $at) {
    timeline { type summary } } }"""
FEED = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { summary } }"""
QTC_RULE = "qtc-methadone-critical"
ITEM9_RULE = "phq9-item9"


async def read(clinic: Clinic, query: str, role: Role, user: str) -> Any:
    data = await clinic.api.ok(
        query, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
    )
    [result] = data.values()
    return result


async def test_a_peer_supporter_is_not_told_of_orders_by_an_alert(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Ola T.")
    today = datetime.now(UTC).date()
    await clinic.methadone("60", today)
    await clinic.nurse(VITALS, qtcMs=520)
    item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    await clinic.nurse(SCORE, instrument="PHQ9", answers=item9)
    clinic.position = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)

    nurse = {a["ruleId"] for a in await read(clinic, ALERTS, Role.NURSE, NURSE)}
    assert {QTC_RULE, ITEM9_RULE} <= nurse
    peer = [a["ruleId"] for a in await read(clinic, ALERTS, Role.PEER_SUPPORTER, PEER)]
    assert peer == [ITEM9_RULE]
    queue = (await read(clinic, MY_ALERTS, Role.PEER_SUPPORTER, PEER))["alerts"]
    assert [a["ruleId"] for a in queue if a["clientId"] == clinic.client_id] == [ITEM9_RULE]
    caseload = await read(clinic, CASELOAD, Role.PEER_SUPPORTER, PEER)
    [mine] = [c for c in caseload["clients"] if c["clientId"] == clinic.client_id]
    assert (mine["openAlerts"], mine["highestAlertSeverity"]) == (1, "high")

    timeline = await read(clinic, TIMELINE, Role.PEER_SUPPORTER, PEER)
    summaries = [e["node"]["summary"] for e in timeline["edges"]]
    assert any("PHQ-9 item 9" in s for s in summaries), summaries
    assert not any("methadone" in s.lower() for s in summaries), summaries
    nursed = await read(clinic, TIMELINE, Role.NURSE, NURSE)
    assert any("on methadone" in e["node"]["summary"] for e in nursed["edges"])


async def test_a_peer_supporters_timeline_feed_leaves_out_an_alert_on_orders(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Pia U.")
    today = datetime.now(UTC).date()
    await clinic.methadone("60", today)
    clinic.position = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    token = api.token(Role.PEER_SUPPORTER, PEER)
    variables = {"id": clinic.client_id, "after": clinic.position}
    async with api.subscription(token, FEED, variables) as ws:
        await clinic.nurse(VITALS, qtcMs=520)
        item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
        await clinic.nurse(SCORE, instrument="PHQ9", answers=item9)
        pushed: list[str] = []
        while not any(s.startswith("Alert (high): PHQ-9") for s in pushed):
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            pushed.append(message["payload"]["data"]["timeline"]["summary"])
    assert not any("methadone" in s.lower() for s in pushed), pushed
    assert any(s.startswith("PHQ-9") for s in pushed), pushed


async def test_what_a_peer_supporter_could_see_is_the_timeline_they_were_shown(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Quin V.")
    today = datetime.now(UTC).date()
    await clinic.methadone("60", today)
    await clinic.nurse(VITALS, qtcMs=520)
    item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    await clinic.nurse(SCORE, instrument="PHQ9", answers=item9)
    clinic.position = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)

    timeline = await read(clinic, TIMELINE, Role.PEER_SUPPORTER, PEER)
    shown = [(e["node"]["type"], e["node"]["summary"]) for e in timeline["edges"]]
    variables = {"user": PEER, "id": clinic.client_id, "at": datetime.now(UTC).isoformat()}
    data = await api.ok(AS_OF, variables, role=Role.AUDITOR, user="auditor-alerts-told")
    could_see = [(e["type"], e["summary"]) for e in data["accessAsOf"]["timeline"]]
    assert could_see == shown
    assert any(s.startswith("Alert (high): PHQ-9") for _, s in could_see), could_see
    assert not any("methadone" in s.lower() for _, s in could_see), could_see
