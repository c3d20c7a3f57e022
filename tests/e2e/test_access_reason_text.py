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
    PRESCRIBE,
    RESUME,
    STATEMENT,
    Clinic,
)
from test_access import CONSENT

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

OUTSIDE = "nurse-orders-only"
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
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
        "signedOn": str(datetime.now(UTC).date()), "signedBy": "Oda P.",
        "expiryEvent": "end of treatment",
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


FINDINGS = """query($id: UUID!, $atLeast: Seq) { clientMedications(clientId: $id,
  atLeast: $atLeast) { findings { rule acknowledgedReason withheld } } }"""
ACKNOWLEDGED = "baseline QTc 410 ms, ECG in 2 weeks"


async def test_a_prescribers_acknowledgement_of_an_interaction_is_withheld(api: Api) -> None:
    """The reason a prescriber gave for going past an interaction is the override's reason,
    free text, and the finding repeats it: the therapist, who sees no doses, reads the
    finding with `acknowledgedReason` null and named in `withheld`, in `clientMedications`
    and on the timeline."""
    clinic = await Clinic.enroll(api, "Lev Q.")
    therapist = "ther-findings"
    await api.join_care_team(clinic.client_id, Role.THERAPIST, therapist)
    today = str(datetime.now(UTC).date())
    await clinic.methadone("60", datetime.now(UTC).date())
    await clinic.doctor(
        PRESCRIBE, medication="escitalopram", dose="10", unit="mg", route="oral", start=today,
        acknowledgements=[{"rule": "methadone-qt-prolonging", "reason": ACKNOWLEDGED}],
    )  # fmt: skip

    async def shown(role: Role, user: str) -> tuple[Any, Any]:
        variables = {"id": clinic.client_id, "atLeast": clinic.position}
        found = await api.ok(FINDINGS, variables, role=role, user=user)
        lines = await api.ok(TIMELINE, variables, role=role, user=user)
        [finding] = [
            f for f in found["clientMedications"]["findings"]
            if f["rule"] == "methadone-qt-prolonging"
        ]  # fmt: skip
        [entry] = [
            (n["facts"]["acknowledged_reason"], n["withheld"])
            for n in lines["clientTimeline"]["nodes"]
            if n["type"] == "medication.InteractionFound"
            and n["facts"]["rule_id"] == "methadone-qt-prolonging"
        ]
        return (finding["acknowledgedReason"], finding["withheld"]), entry

    assert await shown(Role.NURSE, NURSE) == ((ACKNOWLEDGED, []), (ACKNOWLEDGED, []))
    assert await shown(Role.THERAPIST, therapist) == (
        (None, ["acknowledgedReason"]),
        (None, ["acknowledged_reason"]),
    )
