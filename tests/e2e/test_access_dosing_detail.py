"""A dose's correction, a hold and a reinstatement tell why in `clientDosing`'s `detail`,
free text its writer wrote: a reader whose grant does not hold all the writer's role reads
(a nurse outside the team consented to doses alone) reads the entry with `detail` null and
named in its `withheld`, as the timeline withholds it; the writer and the team read it
whole. Before, every reader of doses read every reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from medication_steps import HOLD, NURSE, Clinic, mutation
from test_access import CONSENT

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

OUTSIDE = "nurse-doses-only"
IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
DOSING = """query($id: UUID!, $atLeast: Seq) { clientDosing(clientId: $id, atLeast: $atLeast) {
  entries { status detail withheld } } }"""
WRONG = "charted on the wrong client, who is on 120 mg"
HELD = "QTc 510 ms on today's ECG"


async def test_a_reason_in_a_dosing_entry_is_withheld_as_on_the_timeline(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Ivo K.")
    consent = {
        "clientId": clinic.client_id, "purpose": "treatment", "dataKinds": ["DOSING"],
        "recipients": [{"type": "MEMBER", "id": OUTSIDE}],
        "signedOn": str(datetime.now(UTC).date()), "signedBy": "Ivo K.",
        "expiryEvent": "end of treatment",
    }  # fmt: skip
    await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    today = datetime.now(UTC).date()
    order = await clinic.methadone("30", today)
    dose = await clinic.dose(order["id"], today, "30")
    await clinic.nurse(IN_ERROR, doseId=dose, reason=WRONG)
    await clinic.doctor(HOLD, orderId=order["id"], reason=HELD)

    async def entries(role: Role, user: str) -> list[Any]:
        found = await api.ok(
            DOSING, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
        )
        return [tuple(e.values()) for e in found["clientDosing"]["entries"]]

    assert await entries(Role.NURSE, NURSE) == [
        ("given", "", []), ("entered-in-error", WRONG, []), ("hold-placed", HELD, []),
    ]  # fmt: skip
    assert await entries(Role.NURSE, OUTSIDE) == [
        ("given", "", []), ("entered-in-error", None, ["detail"]),
        ("hold-placed", None, ["detail"]),
    ]  # fmt: skip
