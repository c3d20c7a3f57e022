"""A hold over days take-home bottles are out for recalls them; a prescriber who lifts it
puts the order back in force, and the bottles for days from then on hold its doses again.
Before, the recall stayed open for good: no return would ever answer it (none was asked
for any more), and the alert queue told the care team to fetch bottles the client may take."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from medication_steps import DOCTOR, HOLD, NURSE, RESUME, Clinic
from test_take_home_return_api import home_with_bottles

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECALLS = """query($id: UUID!) { clientAlerts(clientId: $id, atLeast: %d) {
  ruleId status history } }"""
"""``atLeast`` written in the query as a literal, which reads as a position whether the schema
types positions Int or Seq."""


async def recall(api: Api, clinic: Clinic) -> Any:
    found = await api.ok(
        RECALLS % clinic.position, {"id": clinic.client_id}, role=Role.NURSE, user=NURSE
    )
    [alert] = [a for a in found["clientAlerts"] if a["ruleId"] == "take-home-recall"]
    return alert


async def test_lifting_the_hold_resolves_its_recall_saying_so(api: Api, today: date) -> None:
    clinic, order, _ = await home_with_bottles(api, today, "Sami T.")
    held = await clinic.doctor(HOLD, orderId=order, reason="intoxicated at the window")
    clinic.position = held["position"]
    assert (await recall(api, clinic))["status"] == "OPEN"

    resumed = await clinic.doctor(RESUME, orderId=order, reason="assessed: sober, stable")
    clinic.position = resumed["position"]

    alert = await recall(api, clinic)
    assert alert["status"] == "RESOLVED"
    [step] = alert["history"]
    assert step["by"] == DOCTOR
    assert step["note"].startswith("the hold was lifted (resumeOrder)")
