"""The reasons given for a dose change, a hold lifted and a statement ended, and the note on
a dose not given, are free text as a hold's reason is: on the timeline a reader whose grant
does not hold all the writer's role reads (a nurse outside the team consented to medications
and doses alone) reads `facts.reason` (or `facts.note`) null, named in the entry's
`withheld`, and the team's nurse reads them whole. Before, every reader of the entry read
them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from medication_steps import (
    CHANGE,
    END_STATEMENT,
    HOLD,
    NOT_GIVEN,
    NURSE,
    RESUME,
    STATEMENT,
    Clinic,
)
from test_access import CONSENT

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

OUTSIDE = "nurse-orders-only"
TIMELINE = """query($id: UUID!, $atLeast: Int) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 500) {
    nodes { type withheld facts } } }"""
TOLD = {
    "medication.DoseChanged": "reason",
    "medication.OrderResumed": "reason",
    "medication.MedicationStatementEnded": "reason",
    "medication.DoseNotGiven": "note",
}


async def test_reasons_on_orders_doses_and_statements_are_withheld_on_the_timeline(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Oda P.")
    consent = {
        "clientId": clinic.client_id, "purpose": "treatment",
        "dataKinds": ["MEDICATION", "DOSING"], "recipients": [{"type": "MEMBER", "id": OUTSIDE}],
        "signedOn": "2026-01-01", "signedBy": "Oda P.",
    }  # fmt: skip
    await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    today = datetime.now(UTC).date()
    order = await clinic.methadone("60", today)
    changed = await clinic.doctor(
        CHANGE, orderId=order["id"], dose="50", start=str(today), reason="sedated on 60 mg"
    )
    await clinic.doctor(HOLD, orderId=changed["id"], reason="QTc 510 ms")
    await clinic.doctor(RESUME, orderId=changed["id"], reason="QTc 460 ms after the change")
    await clinic.nurse(
        NOT_GIVEN, orderId=changed["id"], reason="DECLINED", note="smelled of alcohol"
    )
    taken = await clinic.nurse(
        STATEMENT, medication="fluoxetine", source="OTHER_PRESCRIBER", dose="20", unit="mg",
        sourceDetail="community psychiatrist",
    )  # fmt: skip
    await clinic.nurse(END_STATEMENT, statementId=taken["id"], reason="low mood resolved")

    async def told(user: str) -> dict[str, Any]:
        found = await api.ok(
            TIMELINE, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE,
            user=user,
        )  # fmt: skip
        return {
            n["type"]: (n["facts"][TOLD[n["type"]]], n["withheld"])
            for n in found["clientTimeline"]["nodes"]
            if n["type"] in TOLD
        }

    assert await told(NURSE) == {
        "medication.DoseChanged": ("sedated on 60 mg", []),
        "medication.OrderResumed": ("QTc 460 ms after the change", []),
        "medication.DoseNotGiven": ("smelled of alcohol", []),
        "medication.MedicationStatementEnded": ("low mood resolved", []),
    }
    assert await told(OUTSIDE) == {
        "medication.DoseChanged": (None, ["reason"]),
        "medication.OrderResumed": (None, ["reason"]),
        "medication.DoseNotGiven": (None, ["note"]),
        "medication.MedicationStatementEnded": (None, ["reason"]),
    }
