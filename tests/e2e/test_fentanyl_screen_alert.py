"""A drug screen positive for fentanyl raises a high overdose-risk alert for any client, on an
opioid agonist or not: before, only benzodiazepines or alcohol on an agonist raised one, and a
client not yet on MAT with fentanyl in their screen raised nothing."""

from __future__ import annotations

from typing import Any

import pytest
from test_access import ACCESS_LOG

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId severity detail action } }"""
NURSE = "nurse-fentanyl"


async def screened(api: Api, client_id: str, **results: str) -> int:
    """A presumptive screen of ``results`` the nurse records; its position."""
    given = [{"analyte": a, "result": r} for a, r in results.items()]
    recorded = await api.ok(
        SCREEN,
        {"input": {"clientId": client_id, "method": "PRESUMPTIVE", "results": given}},
        role=Role.NURSE,
        user=NURSE,
    )
    position: int = recorded["recordDrugScreen"]["position"]
    return position


async def test_a_fentanyl_positive_screen_raises_an_overdose_risk_alert(api: Api) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ari", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)

    async def screen(**results: str) -> list[dict[str, Any]]:
        read = {"id": client_id, "atLeast": await screened(api, client_id, **results)}
        found = await api.ok(ALERTS, read, role=Role.NURSE, user=NURSE)
        alerts: list[dict[str, Any]] = found["clientAlerts"]
        return alerts

    assert await screen(fentanyl="NEGATIVE", norfentanyl="NEGATIVE") == []
    [alert] = await screen(Fentanyl="POSITIVE", cocaine="POSITIVE")
    assert (alert["ruleId"], alert["severity"], alert["detail"]) == (
        "screen-fentanyl",
        "high",
        "positive for fentanyl",
    )
    assert alert["action"].startswith("Overdose-risk review: offer naloxone")


MY_ALERTS = (
    """query($atLeast: Seq) { myAlerts(atLeast: $atLeast) { alerts { clientId ruleId } } }"""
)
PEER = "peer-fentanyl"


async def test_a_peer_supporter_is_not_told_a_screen_result_by_its_alert(api: Api) -> None:
    """A drug screen is MEDICATION kind, which a peer supporter does not see (its id reads as
    unknown to them): its fentanyl alert, whose detail is the result and whose evidence is the
    screen's id, was shown to them in clientAlerts and myAlerts."""
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ira", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.PEER_SUPPORTER, PEER)
    read = {"id": client_id, "atLeast": await screened(api, client_id, fentanyl="POSITIVE")}
    nurse = await api.ok(ALERTS, read, role=Role.NURSE, user=NURSE)
    assert [a["ruleId"] for a in nurse["clientAlerts"]] == ["screen-fentanyl"]
    peer = await api.ok(ALERTS, read, role=Role.PEER_SUPPORTER, user=PEER)
    assert peer["clientAlerts"] == []
    queue = await api.ok(MY_ALERTS, read, role=Role.PEER_SUPPORTER, user=PEER)
    assert [a for a in queue["myAlerts"]["alerts"] if a["clientId"] == client_id] == []
    # Shown nothing of the client, the queue is not logged as a read of their record.
    log = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-1")
    assert [e for e in log["accessLog"] if e["readerId"] == PEER and
            e["operation"] == "myAlerts"] == []  # fmt: skip


async def test_an_implausible_cutoff_is_refused_naming_its_field_and_records_nothing(
    api: Api,
) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Cy", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    results = [
        {"analyte": "fentanyl", "result": "NEGATIVE", "cutoffNgMl": "1"},
        {"analyte": "opiates", "result": "POSITIVE", "cutoffNgMl": "999999999"},
    ]

    refused = await api.gql(
        SCREEN,
        {"input": {"clientId": client_id, "method": "PRESUMPTIVE", "results": results}},
        role=Role.NURSE,
        user=NURSE,
    )

    [error] = refused["errors"]
    assert error["extensions"]["field"] == "results.1.cutoffNgMl"
    assert error["extensions"]["rule"] == "cutoff-implausible"
    assert refused["data"] is None or refused["data"]["recordDrugScreen"] is None
    assert await screened(api, client_id, fentanyl="NEGATIVE") > 0
