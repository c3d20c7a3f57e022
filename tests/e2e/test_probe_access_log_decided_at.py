"""A read's access-log entry is dated when its grant was decided, so what a user could see
at that time (``accessAsOf``) is the grant the entry names. It was dated once the rows were
read: a consent revoked while a reader's check-in series was being read left an entry
saying granted under that consent at a time the replay read it as revoked and the reader
refused, an auditor's two records of one read disagreeing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CONSENT = mutation("RecordConsentInput", "recordConsent")
REVOKE = mutation("RevokeConsentInput", "revokeConsent")
SERIES = "query($id: UUID!) { checkInSeries(clientId: $id) { __typename } }"
LOG = """query($id: UUID!) { accessLog(clientId: $id, readerId: "dr-consented", first: 50) {
  occurredAt outcome consentIds } }"""
AS_OF = """query($id: UUID!, $at: DateTime!) {
  accessAsOf(userId: "dr-consented", role: PRESCRIBER, clientId: $id, at: $at) {
    grant { basis consentIds } refusal { rule } } }"""


async def test_a_read_is_logged_at_its_grant_and_the_replay_then_agrees(api: Api) -> None:
    enrolment = {"displayName": "Ari", "program": "OTP"}
    client_id = (await api.ok(ENROLL, {"input": enrolment}, role=Role.PROGRAM_ADMIN))[
        "enrollClient"
    ]["id"]
    given = {
        "clientId": client_id,
        "recipients": [{"type": "MEMBER", "id": "dr-consented"}],
        "purpose": "coordination of care",
        "dataKinds": ["CARE", "CHECK_IN"],
        "signedOn": str(datetime.now(UTC).date()),
        "signedBy": "Ari",
        "expiryEvent": "end of treatment",
    }
    consent_id = (await api.ok(CONSENT, {"input": given}, role=Role.PROGRAM_ADMIN))[
        "recordConsent"
    ]["id"]
    await api.ok(SERIES, {"id": client_id}, role=Role.PRESCRIBER, user="dr-consented")

    with psycopg.connect(api.platform.database_url) as held:
        # The series' rows wait for this lock: the read is granted, then held.
        held.execute("LOCK TABLE checkin_series IN ACCESS EXCLUSIVE MODE")
        read = asyncio.ensure_future(
            api.gql(SERIES, {"id": client_id}, role=Role.PRESCRIBER, user="dr-consented")
        )
        await asyncio.sleep(0.5)
        revoked = {"clientId": client_id, "consentId": consent_id}
        await api.ok(REVOKE, {"input": revoked}, role=Role.PROGRAM_ADMIN)
        held.rollback()
    assert "errors" not in await asyncio.wait_for(read, 10)

    logged = (await api.ok(LOG, {"id": client_id}, role=Role.AUDITOR))["accessLog"]
    assert [(e["outcome"], e["consentIds"]) for e in logged] == [
        ("GRANTED", [consent_id]),
        ("GRANTED", [consent_id]),
    ]
    replayed = await api.ok(
        AS_OF, {"id": client_id, "at": logged[-1]["occurredAt"]}, role=Role.AUDITOR
    )
    assert replayed["accessAsOf"] == {
        "grant": {"basis": "CONSENT", "consentIds": [consent_id]}, "refusal": None,
    }  # fmt: skip
