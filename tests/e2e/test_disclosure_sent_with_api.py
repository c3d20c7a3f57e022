"""A disclosure made by hand (records faxed to a court under consent) recorded the 42 CFR
2.32 notice, but answered with its id alone: whoever sent the records had neither the notice
nor the consent's scope, which 42 CFR 2.32(b) has them send along. ``recordDisclosure`` now
answers with both, the scope as the forwarder's ``Carecoord-Consent-Scope`` reads, and a
retry under its ``Idempotency-Key`` with the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from test_access import CONSENT, enroll

from carecoord.events import Role
from carecoord.services.consent.notice import REDISCLOSURE_NOTICE
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

DISCLOSE = mutation(
    "RecordDisclosureInput", "recordDisclosure", "{ id position notice consentScope }"
)
COURT = {"type": "ORGANIZATION", "id": "county-court", "name": "County Court"}


async def disclosed(api: Api, variables: dict[str, Any], key: str) -> Any:
    headers = {
        "Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN)}",
        "Idempotency-Key": key,
    }
    body = {"query": DISCLOSE, "variables": variables}
    response = await api.http.post("/graphql", json=body, headers=headers)
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]["recordDisclosure"]


async def test_a_disclosure_by_hand_answers_with_the_notice_and_the_consents_scope(
    api: Api,
) -> None:
    client_id = await enroll(api, "Court O.")
    signed = datetime.now(UTC).date()
    terms = {
        "clientId": client_id,
        "recipients": [COURT],
        "purpose": "court order",
        "dataKinds": ["MEDICATION", "CHECK_IN"],
        "signedOn": str(signed),
        "expiryEvent": "end of the proceedings",
        "signedBy": "Court O.",
    }
    consent = await api.ok(CONSENT, {"input": terms}, role=Role.PROGRAM_ADMIN)
    faxed = {
        "input": {
            "clientId": client_id,
            "recipient": COURT,
            "purpose": "court order",
            "dataKinds": ["MEDICATION"],
            "description": "dosing history, faxed",
            "consentId": consent["recordConsent"]["id"],
        }
    }

    first = await disclosed(api, faxed, key=f"fax-{client_id}")
    again = await disclosed(api, faxed, key=f"fax-{client_id}")

    assert first["notice"] == REDISCLOSURE_NOTICE
    assert json.loads(first["consentScope"]) == {
        "purpose": "court order",
        "dataKinds": ["check_in", "medication"],
        "signedOn": signed.isoformat(),
        "expiresAt": None,
        "expiryEvent": "end of the proceedings",
        "expiresOn": None,
    }
    assert "\n" not in first["consentScope"]  # the forwarder's header line, as it is
    assert again == first
