"""A reading given a few minutes ahead (a workstation clock running fast, within the clock
tolerance) is recorded at the time it was charted, as every other clinical time is: it was
kept ahead, so a QTc of 520 ms on methadone measured a minute later on a clock that was
right read as "before the latest" and raised no alert, and the reading's own alert was
raised at a time to come."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from medication_steps import NURSE, Clinic, mutation

from carecoord.events import Role
from support import Api, ahead

pytestmark = pytest.mark.shared_platform

VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { ruleId raisedAt } }"""


async def test_a_qtc_after_one_dated_ahead_raises_its_alert(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Noa R.")
    await clinic.methadone("60", datetime.now(UTC).date())
    await clinic.nurse(VITALS, qtcMs=480, occurredAt=ahead(minutes=4))
    position = (await clinic.nurse(VITALS, qtcMs=520))["position"]
    read = await api.ok(
        ALERTS, {"id": clinic.client_id, "atLeast": position}, role=Role.NURSE, user=NURSE
    )
    alerts = read["clientAlerts"]
    assert [a["ruleId"] for a in alerts] == ["qtc-methadone-prolonged", "qtc-methadone-critical"]
    now = datetime.now(UTC)
    assert all(datetime.fromisoformat(a["raisedAt"]) <= now for a in alerts)
