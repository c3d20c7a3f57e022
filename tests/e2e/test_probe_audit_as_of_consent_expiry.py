"""What a user could see at a time names, for each consent naming them, the event it was
given until and when and why it had expired by then, as ``consents`` does: after the
client's discharge the consent read ``inForce: false`` with ``revokedAt`` null and its date
still to come, so nothing said what had ended it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from medication_steps import Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CONSENT = mutation("RecordConsentInput", "recordConsent")
DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
AS_OF = """query($client: UUID!, $at: DateTime!) {
  accessAsOf(userId: "dr-outside", role: PRESCRIBER, clientId: $client, at: $at) {
    consents { expiresOn expiredAt expiredBy inForce revokedAt } grant { basis } } }"""


async def test_a_consent_until_discharge_reads_expired_by_the_discharge(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Noa V.")
    given = {
        "clientId": clinic.client_id,
        "recipients": [{"type": "MEMBER", "id": "dr-outside"}],
        "purpose": "coordination of care",
        "dataKinds": ["CARE"],
        "signedOn": str(datetime.now(UTC).date()),
        "signedBy": "Noa V.",
        "expiresAt": (datetime.now(UTC) + timedelta(days=90)).isoformat(),
        "expiresOn": "DISCHARGE",
    }
    await api.ok(CONSENT, {"i": given}, role=Role.PROGRAM_ADMIN)
    before = datetime.now(UTC).isoformat()
    await clinic.doctor(DISCHARGE, reason="TREATMENT_COMPLETED")
    after = datetime.now(UTC).isoformat()

    then = await api.ok(AS_OF, {"client": clinic.client_id, "at": before}, role=Role.AUDITOR)
    now = await api.ok(AS_OF, {"client": clinic.client_id, "at": after}, role=Role.AUDITOR)

    assert then["accessAsOf"]["consents"] == [
        {"expiresOn": "DISCHARGE", "expiredAt": None, "expiredBy": None, "inForce": True,
         "revokedAt": None},
    ]  # fmt: skip
    [ended] = now["accessAsOf"]["consents"]
    assert (ended["expiredBy"], ended["inForce"], ended["revokedAt"]) == ("discharge", False, None)
    expired_at = datetime.fromisoformat(ended["expiredAt"])
    assert datetime.fromisoformat(before) < expired_at <= datetime.fromisoformat(after)
    assert now["accessAsOf"]["grant"] is None
