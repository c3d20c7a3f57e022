"""Each disclosure made with the client's consent goes with a copy of the consent or a clear
explanation of its scope (42 CFR 2.32(b), 2024): the forwarder's messages carried the consent's
id and the redisclosure notice alone, an id the recipient has no way to read. Each now
carries the scope of the consent it went under (``Carecoord-Consent-Scope``: its purpose,
kinds, signing day and when it ends), as one line of JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from forwarding import received_by
from test_access import CONSENT, enroll
from test_access_disclosure import check_in

from carecoord.events import Role
from carecoord.services.runtime.disclosure import CONSENT_HEADER, CONSENT_SCOPE_HEADER
from support import Api

RECIPIENT = f"scope-{uuid4().hex[:8]}"


async def test_what_goes_under_a_consent_carries_its_scope(api: Api) -> None:
    client = await enroll(api, "Sam S.")
    signed = datetime.now(UTC).date()
    expires = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
    terms: dict[str, Any] = {
        "clientId": client,
        "recipients": [{"type": "ORGANIZATION", "id": RECIPIENT, "name": "Drug Court"}],
        "purpose": "drug court compliance",
        "dataKinds": ["CHECK_IN", "CARE"],
        "signedOn": str(signed),
        "signedBy": "Sam S.",
        "expiresAt": expires.isoformat(),
        "expiryEvent": "end of probation",
    }
    consent = (await api.ok(CONSENT, {"input": terms}, role=Role.PROGRAM_ADMIN))["recordConsent"]
    await check_in(api, client, 6)

    [sent] = await received_by(api.platform, RECIPIENT, within="checkins.>")

    headers = sent.headers or {}
    assert headers[CONSENT_HEADER] == consent["id"]
    assert json.loads(headers[CONSENT_SCOPE_HEADER]) == {
        "purpose": "drug court compliance",
        "dataKinds": ["care", "check_in"],
        "signedOn": str(signed),
        "expiresAt": expires.isoformat(),
        "expiryEvent": "end of probation",
        "expiresOn": None,
    }
