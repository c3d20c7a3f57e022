"""An alert's note shows only to a reader who reads all its writer reads: a peer supporter
shown a PHQ-9 item 9 alert sees that the nurse acknowledged and the prescriber resolved it,
when and who, but their notes (which may name the dose) read null, named in `withheld`,
in the client's alerts, their queue and the timeline; the nurse reads both. Before, every
reader shown an alert read every note on it."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import DOCTOR, NURSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PEER = "peer-alert-notes"
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
ACK = mutation("AlertNoteInput", "acknowledgeAlert")
RESOLVE = mutation("AlertNoteInput", "resolveAlert")
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { alertId ruleId status history } }"""
MY_ALERTS = """query($atLeast: Seq) { myAlerts(atLeast: $atLeast, status: [RESOLVED]) { alerts {
  clientId history } } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, first: 500, atLeast: $atLeast, kinds: [ALERT]) {
    nodes { type summary withheld facts } } }"""
ACKED = "Called the client; methadone 80 mg held pending ECG"
RESOLVED = "Seen today, safety plan in place, dose resumed"


async def read(clinic: Clinic, query: str, role: Role, user: str) -> Any:
    data = await clinic.api.ok(
        query, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
    )
    [result] = data.values()
    return result


def notes(history: list[dict[str, Any]]) -> list[tuple[str, str, str | None, list[str]]]:
    return [(s["status"], s["by"], s["note"], s["withheld"]) for s in history]


async def noted_alert(api: Api) -> tuple[Clinic, str]:
    clinic = await Clinic.enroll(api, "Rae W.")
    item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    await clinic.nurse(SCORE, instrument="PHQ9", answers=item9)
    [alert] = await read(clinic, ALERTS, Role.NURSE, NURSE)
    await clinic.nurse(ACK, alertId=alert["alertId"], note=ACKED)
    await clinic.doctor(RESOLVE, alertId=alert["alertId"], note=RESOLVED)
    clinic.position = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    return clinic, alert["alertId"]


async def test_a_peer_supporter_sees_who_noted_an_alert_and_not_what(api: Api) -> None:
    clinic, alert_id = await noted_alert(api)

    [nursed] = await read(clinic, ALERTS, Role.NURSE, NURSE)
    assert notes(nursed["history"]) == [
        ("acknowledged", NURSE, ACKED, []),
        ("resolved", DOCTOR, RESOLVED, []),
    ]
    [peered] = await read(clinic, ALERTS, Role.PEER_SUPPORTER, PEER)
    assert (peered["alertId"], peered["status"]) == (alert_id, "RESOLVED")
    assert notes(peered["history"]) == [
        ("acknowledged", NURSE, None, ["note"]),
        ("resolved", DOCTOR, None, ["note"]),
    ]
    assert [s["at"] for s in peered["history"]] == [s["at"] for s in nursed["history"]]

    queue = (await read(clinic, MY_ALERTS, Role.PEER_SUPPORTER, PEER))["alerts"]
    [mine] = [a for a in queue if a["clientId"] == clinic.client_id]
    assert [s["note"] for s in mine["history"]] == [None, None]


async def test_the_timeline_withholds_the_notes_from_a_peer_supporter_alone(api: Api) -> None:
    clinic, _ = await noted_alert(api)

    def noted(timeline: dict[str, Any]) -> list[tuple[str, Any, list[str]]]:
        return [
            (n["type"], n["facts"]["note"], n["withheld"])
            for n in timeline["nodes"]
            if "note" in n["facts"]
        ]

    nursed = noted(await read(clinic, TIMELINE, Role.NURSE, NURSE))
    assert nursed == [
        ("alerts.AlertAcknowledged", ACKED, []),
        ("alerts.AlertResolved", RESOLVED, []),
    ]
    peered = await read(clinic, TIMELINE, Role.PEER_SUPPORTER, PEER)
    assert noted(peered) == [
        ("alerts.AlertAcknowledged", None, ["note"]),
        ("alerts.AlertResolved", None, ["note"]),
    ]
    assert [n["withheld"] for n in peered["nodes"] if n["type"] == "alerts.AlertRaised"] == [[]]
