"""A consent states the purpose of the disclosures it allows (42 CFR 2.31(a)(4)), and 2.13(a)
limits a disclosure to what that purpose needs; yet ``recordDisclosure`` recorded any purpose
under a consent: records sent "for marketing" under a consent given for a drug court read, in
the client's accounting, as consented. A disclosure under a consent is now made for the
consent's purpose: left out, it is the consent's; restated with other capitals or spacing,
recorded in the consent's words; any other refused naming ``purpose`` and recording nothing.
One under an emergency access states its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_access import BREAK_GLASS, CONSENT, enroll, refusal
from test_disclosures_api import DISCLOSE, DISCLOSURES

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

COURT = {"type": "ORGANIZATION", "id": "drug-court-7", "name": "Drug Court 7"}
ER = {"type": "ORGANIZATION", "id": "county-er-7", "name": "County ER"}


def picked(refusal: dict[str, str]) -> tuple[str, str, str]:
    return (refusal["code"], refusal["field"], refusal["rule"])


async def test_a_disclosure_under_a_consent_is_for_the_consents_purpose(api: Api) -> None:
    client_id = await enroll(api, "Nia P.")
    consent = await api.ok(
        CONSENT,
        {
            "input": {
                "clientId": client_id, "recipients": [COURT], "purpose": "drug court",
                "dataKinds": ["DOSING"], "signedOn": str(datetime.now(UTC).date()),
                "expiryEvent": "end of the proceedings", "signedBy": "Nia P.",
            }
        },
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    faxed = {
        "clientId": client_id, "recipient": COURT, "dataKinds": ["DOSING"],
        "description": "dose history, faxed", "consentId": consent["recordConsent"]["id"],
    }  # fmt: skip

    def disclose(**purpose: str) -> dict[str, object]:
        return {"input": faxed | purpose}

    other = await api.gql(DISCLOSE, disclose(purpose="marketing"), role=Role.PROGRAM_ADMIN)
    await api.ok(DISCLOSE, disclose(purpose="  Drug   COURT "), role=Role.PROGRAM_ADMIN)
    left_out = await api.ok(DISCLOSE, disclose(), role=Role.PROGRAM_ADMIN)
    listed = await api.ok(
        DISCLOSURES,
        {"id": client_id, "atLeast": left_out["recordDisclosure"]["position"]},
        role=Role.PROGRAM_ADMIN,
    )

    [refused] = other["errors"]
    assert picked(refused["extensions"]) == ("RULE_VIOLATION", "purpose", "consent-purpose")
    assert "'drug court'" in refused["message"]
    assert [d["purpose"] for d in listed["disclosures"]] == ["drug court", "drug court"]


async def test_a_disclosure_under_an_emergency_access_states_its_own_purpose(api: Api) -> None:
    client_id = await enroll(api, "Oto Q.")
    broke = await api.ok(
        BREAK_GLASS,
        {"input": {"clientId": client_id, "reason": "overdose, unresponsive at the ER"}},
        role=Role.NURSE, user="nurse-er-7",
    )  # fmt: skip
    given = {
        "clientId": client_id, "recipient": ER, "dataKinds": ["DOSING"],
        "description": "current dose", "breakGlassId": broke["breakGlass"]["id"],
    }  # fmt: skip

    unstated = await refusal(api, DISCLOSE, {"input": given}, role=Role.PROGRAM_ADMIN)
    sent = await api.ok(
        DISCLOSE, {"input": given | {"purpose": "medical emergency"}}, role=Role.PROGRAM_ADMIN
    )
    listed = await api.ok(
        DISCLOSURES,
        {"id": client_id, "atLeast": sent["recordDisclosure"]["position"]},
        role=Role.PROGRAM_ADMIN,
    )

    assert picked(unstated) == ("BAD_USER_INPUT", "purpose", "purpose-stated")
    assert [d["purpose"] for d in listed["disclosures"]] == ["medical emergency"]
