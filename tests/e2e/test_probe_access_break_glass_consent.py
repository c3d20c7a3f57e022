"""An emergency access opens what the clinician's role sees on a care team even when a
consent already names them for less: a nurse named for care entries alone broke the glass
at an overdose and still could not read the client's methadone order or doses, while the
program was alerted to an emergency access that granted nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_foundation import enroll_prescribe_dose

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

CONSENT = mutation("RecordConsentInput", "recordConsent")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
MEDICATIONS = """query($id: UUID!, $p: Seq) {
  clientMedications(clientId: $id, atLeast: $p) { orders { medication } } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) {
  readerId operation outcome basis consentIds breakGlassId refusal } }"""
NURSE = "nurse-partner"


async def test_break_glass_opens_the_team_view_to_a_clinician_a_consent_names_for_less(
    api: Api,
) -> None:
    client_id, _, _, _ = await enroll_prescribe_dose(api)
    consent = {
        "clientId": client_id,
        "recipients": [{"type": "MEMBER", "id": NURSE, "name": "Partner clinic nurse"}],
        "purpose": "coordination of care",
        "dataKinds": ["CARE"],
        "signedOn": str(datetime.now(UTC).date()),
        "expiryEvent": "end of treatment",
        "signedBy": "Alex R.",
    }
    consented = await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    consent_id = consented["recordConsent"]["id"]
    before = await api.gql(MEDICATIONS, {"id": client_id}, role=Role.NURSE, user=NURSE)
    assert before["errors"][0]["extensions"]["rule"] == "kind-may-read"

    reason = {"clientId": client_id, "reason": "unresponsive at the dosing window"}
    emergency = await api.ok(BREAK_GLASS, {"input": reason}, role=Role.NURSE, user=NURSE)
    opened = emergency["breakGlass"]
    during = await api.ok(
        MEDICATIONS, {"id": client_id, "p": opened["position"]}, role=Role.NURSE, user=NURSE
    )

    assert [o["medication"] for o in during["clientMedications"]["orders"]] == ["methadone"]
    logged = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-bg")
    reads = [e for e in logged["accessLog"] if e["readerId"] == NURSE]
    assert [(e["outcome"], e["basis"], e["refusal"]) for e in reads] == [
        ("REFUSED", "NONE", "kind-may-read"),
        ("GRANTED", "BREAK_GLASS", ""),
    ]
    assert (reads[1]["breakGlassId"], reads[1]["consentIds"]) == (opened["id"], [consent_id])
