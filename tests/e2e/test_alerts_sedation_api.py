"""A client on methadone who tells at a check-in that they are nodding off raises a same-day
alert the nurse and prescriber see (sedation-on-agonist, high), naming the sign and not the
client's words; a peer supporter on the team, who sees no orders, is not shown it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from medication_steps import NURSE, Clinic, mutation

from carecoord.events import Role
from support import Api

CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId severity detail } }"""
PEER = "peer-sedation"


@pytest.mark.shared_platform
async def test_sedation_reported_on_methadone_alerts_those_who_see_orders(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Sage N.")
    await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, PEER)
    await clinic.methadone("30", datetime.now(UTC).date())
    told = await api.ok(
        CHECK_IN,
        {"i": {"clientId": clinic.client_id, "sideEffects": ["Nodding off after my dose"]}},
        role=Role.CLIENT,
        user=clinic.client_id,
    )
    at = {"id": clinic.client_id, "atLeast": told["recordCheckIn"]["position"]}

    seen = await api.ok(ALERTS, at, role=Role.NURSE, user=NURSE)
    assert seen["clientAlerts"] == [
        {
            "ruleId": "sedation-on-agonist",
            "severity": "high",
            "detail": "sedation reported at a check-in while on methadone",
        }
    ]
    peer = await api.ok(ALERTS, at, role=Role.PEER_SUPPORTER, user=PEER)
    assert peer["clientAlerts"] == []


@pytest.mark.shared_platform
async def test_sedation_the_client_denies_raises_no_alert(api: Api) -> None:
    """Version 3: "no sedation" or "denies drowsiness" told no sedation, and raised the alert
    all the same; a sign told after them still raises it."""
    clinic = await Clinic.enroll(api, "Rue D.")
    await clinic.methadone("30", datetime.now(UTC).date())

    async def check_in(*side_effects: str) -> dict[str, object]:
        told = await api.ok(
            CHECK_IN,
            {"i": {"clientId": clinic.client_id, "sideEffects": list(side_effects)}},
            role=Role.CLIENT,
            user=clinic.client_id,
        )
        at = {"id": clinic.client_id, "atLeast": told["recordCheckIn"]["position"]}
        seen: dict[str, object] = await api.ok(ALERTS, at, role=Role.NURSE, user=NURSE)
        return seen

    denied = await check_in("No sedation", "denies drowsiness, constipation")
    assert denied["clientAlerts"] == []
    told = await check_in("no nausea, very drowsy")
    assert told["clientAlerts"] == [
        {
            "ruleId": "sedation-on-agonist",
            "severity": "high",
            "detail": "sedation reported at a check-in while on methadone",
        }
    ]
