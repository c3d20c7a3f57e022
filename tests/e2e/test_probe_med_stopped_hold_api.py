"""An order discontinued (or entered in error) while on hold reads as stopped in
``clientMedications``, with no hold: the view kept the hold it had, so the stopped order
read as still held. The hold stays in the order's history lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from medication_steps import DISCONTINUE, HOLD, MEDICATIONS, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

ORDER_IN_ERROR = mutation("OrderActionInput", "markOrderEnteredInError")
HELD = """query($id: UUID!, $atLeast: Seq) {
  clientMedications(clientId: $id, atLeast: $atLeast) {
    orders { status hold { reason withheld } } } }"""
THERAPIST = "ther-stopped"


@pytest.mark.parametrize("stop", ["discontinued", "entered-in-error"])
async def test_an_order_stopped_while_held_reads_stopped_with_its_hold_in_its_history(
    api: Api, stop: str
) -> None:
    clinic = await Clinic.enroll(api, "Stopped S.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    start = datetime.now(UTC).date() - timedelta(days=5)
    order = (await clinic.methadone("40", start))["id"]
    await clinic.doctor(HOLD, orderId=order, reason="sedated at the window")
    # Held, it reads held, its reason withheld from a therapist (graphql/withheld.py).
    assert (await clinic.read(HELD))["orders"] == [
        {"status": "on-hold", "hold": {"reason": "sedated at the window", "withheld": []}}
    ]
    therapist = {"role": Role.THERAPIST, "user": THERAPIST}
    variables = {"id": clinic.client_id, "atLeast": clinic.position}
    shown = await api.ok(HELD, variables, **therapist)
    assert shown["clientMedications"]["orders"] == [
        {"status": "on-hold", "hold": {"reason": None, "withheld": ["reason"]}}
    ]
    if stop == "discontinued":
        await clinic.doctor(DISCONTINUE, orderId=order, reason="transferred out")
    else:
        await clinic.doctor(ORDER_IN_ERROR, orderId=order, reason="wrong client")

    listed = await clinic.read(MEDICATIONS, history=True)

    [stopped] = [o for o in listed["orders"] if o["id"] == order]
    assert stopped["status"] == ("stopped" if stop == "discontinued" else "entered-in-error")
    assert stopped["hold"] is None
    assert "medication.OrderHeld" in [line["type"] for line in stopped["history"]]
