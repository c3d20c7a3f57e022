"""A consent given until discharge (``expiresOn: DISCHARGE``) ends at the client's discharge,
through the API: the prescriber it named reads the timeline, the client is discharged, and
the same prescriber is refused (logged as refused, as every refusal is), a disclosure under
it is refused, and ``consents`` reads it expired, when and why. Before, a consent "until
discharge" was free text the platform never acted on, and kept granting after the discharge.
A consent ending on a date is left as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import DOCTOR, TIMELINE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CONSENT = mutation("RecordConsentInput", "recordConsent")
DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
READMIT = mutation("ReadmitClientInput", "readmitClient")
DISCLOSE = mutation("RecordDisclosureInput", "recordDisclosure", "{ id position }")
CONSENTS = """query($id: UUID!, $atLeast: Seq) { consents(clientId: $id, atLeast: $atLeast) {
  consentId memberIds expiresAt expiresOn expiryEvent expiredAt expiredBy expiryInErrorAt
  revokedAt recordedAt } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) {
  readerId operation outcome refusal } }"""
UNTIL_DISCHARGE = "dr-until-discharge"
BY_DATE = "dr-by-date"
COURT = {"type": "ORGANIZATION", "id": "recovery-court", "name": "Recovery Court"}
CLINIC = {"type": "ORGANIZATION", "id": "county-clinic", "name": "County Clinic"}


async def consent(clinic: Clinic, member: str, org: dict[str, str], **ends: str) -> str:
    given = {
        "clientId": clinic.client_id,
        "recipients": [{"type": "MEMBER", "id": member}, org],
        "purpose": "coordination of care",
        "dataKinds": ["CARE"],
        "signedOn": str(datetime.now(UTC).date() - timedelta(days=1)),
        "signedBy": "Rio T.",
        **ends,
    }
    data = await clinic.api.ok(CONSENT, {"i": given}, role=Role.PROGRAM_ADMIN)
    clinic.position = max(clinic.position, data["recordConsent"]["position"])
    return str(data["recordConsent"]["id"])


async def timeline(clinic: Clinic, user: str, at_least: int | None = None) -> dict[str, Any]:
    return await clinic.api.gql(
        TIMELINE, {"id": clinic.client_id, "atLeast": at_least}, role=Role.PRESCRIBER, user=user
    )


async def disclose(clinic: Clinic, consent_id: str, to: dict[str, str]) -> dict[str, Any]:
    given = {
        "clientId": clinic.client_id,
        "recipient": to,
        "purpose": "coordination of care",
        "dataKinds": ["CARE"],
        "description": "treatment summary",
        "consentId": consent_id,
    }
    return await clinic.api.gql(DISCLOSE, {"i": given}, role=Role.PROGRAM_ADMIN)


async def test_a_consent_until_discharge_stops_granting_at_the_discharge(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Rio T.")
    until_discharge = await consent(clinic, UNTIL_DISCHARGE, COURT, expiresOn="DISCHARGE")
    by_date = await consent(
        clinic, BY_DATE, CLINIC, expiresAt=(datetime.now(UTC) + timedelta(days=365)).isoformat()
    )
    before = await timeline(clinic, UNTIL_DISCHARGE, clinic.position)
    assert "errors" not in before, before
    assert before["data"]["clientTimeline"]["nodes"]

    discharged_at = datetime.now(UTC) - timedelta(minutes=30)
    await clinic.doctor(
        DISCHARGE, reason="TREATMENT_COMPLETED", dischargedAt=discharged_at.isoformat()
    )

    # Not told where the discharge is: the grant waits for the consent record by itself.
    after = await timeline(clinic, UNTIL_DISCHARGE)
    [error] = after["errors"]
    assert after["data"] is None
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "errors" not in await timeline(clinic, BY_DATE)

    refused = await disclose(clinic, until_discharge, COURT)
    [refusal] = refused["errors"]
    assert (refusal["extensions"]["field"], refusal["extensions"]["rule"]) == (
        "consentId",
        "consent-in-force",
    )
    sent = await disclose(clinic, by_date, CLINIC)
    assert "errors" not in sent, sent

    listed = await api.ok(
        CONSENTS, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.PROGRAM_ADMIN
    )
    found = {c["consentId"]: c for c in listed["consents"]}
    ended = found[until_discharge]
    assert (ended["expiresOn"], ended["expiredBy"], ended["revokedAt"]) == (
        "DISCHARGE",
        "discharge",
        None,
    )
    # Recorded after the time the discharge is dated back to: it ends as it began, not before.
    assert ended["expiredAt"] == ended["recordedAt"]
    assert datetime.fromisoformat(ended["expiredAt"]) > discharged_at
    dated = found[by_date]
    assert (dated["expiresOn"], dated["expiredAt"], dated["expiredBy"]) == (None, None, None)

    logged = await api.ok(ACCESS_LOG, {"id": clinic.client_id}, role=Role.AUDITOR)
    reads = [
        (e["outcome"], e["refusal"])
        for e in logged["accessLog"]
        if e["readerId"] == UNTIL_DISCHARGE and e["operation"] == "clientTimeline"
    ]
    assert reads == [("GRANTED", ""), ("REFUSED", error["extensions"]["rule"])]


async def test_a_consent_until_discharge_is_refused_while_the_client_is_discharged(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Kai D.")
    await clinic.doctor(DISCHARGE, reason="LEFT_AGAINST_ADVICE")

    body = await clinic.api.gql(
        CONSENT,
        {
            "i": {
                "clientId": clinic.client_id,
                "recipients": [COURT],
                "purpose": "coordination of care",
                "dataKinds": ["CARE"],
                "signedOn": str(datetime.now(UTC).date()),
                "signedBy": "Kai D.",
                "expiresOn": "DISCHARGE",
            }
        },
        role=Role.PROGRAM_ADMIN,
    )

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "RULE_VIOLATION", "field": "expiresOn", "rule": "expiry-passed",
    }  # fmt: skip


async def test_one_signed_before_the_last_discharge_is_refused_once_readmitted(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Noa P.")
    discharged_at = datetime.now(UTC) - timedelta(days=3)
    await clinic.doctor(DISCHARGE, reason="TRANSFERRED", dischargedAt=discharged_at.isoformat())
    await clinic.doctor(READMIT)
    given = {
        "clientId": clinic.client_id,
        "recipients": [COURT],
        "purpose": "coordination of care",
        "dataKinds": ["CARE"],
        "signedOn": str(discharged_at.date() - timedelta(days=2)),
        "signedBy": "Noa P.",
        "expiresOn": "DISCHARGE",
    }

    body = await api.gql(CONSENT, {"i": given}, role=Role.PROGRAM_ADMIN)

    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "expiresOn", "expiry-passed",
    )  # fmt: skip
    signed_since = {**given, "signedOn": str(datetime.now(UTC).date())}
    assert "errors" not in await api.gql(CONSENT, {"i": signed_since}, role=Role.PROGRAM_ADMIN)


DISCHARGE_IN_ERROR = mutation("DischargeInErrorInput", "markDischargeEnteredInError")
EPISODES = """query($id: UUID!, $atLeast: Seq) { treatmentEpisodes(clientId: $id,
  atLeast: $atLeast) { dischargeId } }"""


async def test_a_discharge_in_error_leaves_its_consents_expired_and_says_so(api: Api) -> None:
    """The client was told the consent ended: the platform does not grant again on its own
    what they may no longer want, and ``consents`` says the discharge it ended at did not
    happen, so the care team asks the client to sign again."""
    clinic = await Clinic.enroll(api, "Ari L.")
    until_discharge = await consent(clinic, UNTIL_DISCHARGE, COURT, expiresOn="DISCHARGE")
    await clinic.doctor(DISCHARGE, reason="LEFT_AGAINST_ADVICE")
    episodes = await api.ok(
        EPISODES, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.PRESCRIBER,
        user=DOCTOR,
    )  # fmt: skip
    [discharge] = [e["dischargeId"] for e in episodes["treatmentEpisodes"] if e["dischargeId"]]
    await clinic.doctor(DISCHARGE_IN_ERROR, dischargeId=discharge, reason="wrong client")

    listed = await api.ok(
        CONSENTS, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.PROGRAM_ADMIN
    )
    [ended] = [c for c in listed["consents"] if c["consentId"] == until_discharge]
    assert ended["expiredBy"] == "discharge"
    assert ended["expiryInErrorAt"] is not None
    assert datetime.fromisoformat(ended["expiryInErrorAt"]) >= datetime.fromisoformat(
        ended["expiredAt"]
    )
    refused = await timeline(clinic, UNTIL_DISCHARGE, clinic.position)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
