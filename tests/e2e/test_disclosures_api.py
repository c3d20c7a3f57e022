"""The accounting of disclosures through the API: the client reads their own, auditors and
program admins any client's; other roles are refused; every read is access-logged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from test_access import CONSENT, access_log, enroll, refusal
from test_access_admin_program import admin_of

from carecoord.events import Role
from support import Api, ahead, mutation

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

DISCLOSE = mutation("RecordDisclosureInput", "recordDisclosure")
DISCLOSURES = """query($id: UUID!, $since: DateTime, $atLeast: Seq) {
  disclosures(clientId: $id, since: $since, atLeast: $atLeast) {
    disclosureId status maybeSent recipientType recipientId recipientName purpose dataKinds
    description consentId breakGlassId eventCount recordedBy sentAt withdrawnAt } }"""
CLINIC = {"type": "ORGANIZATION", "id": "clinic-north", "name": "North Clinic"}


async def consent_and_disclosure(api: Api, client_id: str) -> tuple[str, dict[str, Any]]:
    """A consent naming the clinic, and a disclosure to it recorded by hand under it."""
    consent = await api.ok(
        CONSENT,
        {
            "input": {
                "clientId": client_id,
                "recipients": [CLINIC],
                "purpose": "care coordination",
                "dataKinds": ["MEDICATION", "CHECK_IN"],
                "signedOn": str(datetime.now(UTC).date()),
                "expiryEvent": "end of treatment",
                "signedBy": "Sam K.",
            }
        },
        role=Role.PROGRAM_ADMIN,
    )
    consent_id = consent["recordConsent"]["id"]
    return consent_id, await disclose(api, client_id, consent_id)


async def disclose(api: Api, client_id: str, consent_id: str) -> dict[str, Any]:
    """A disclosure to the clinic recorded by hand under ``consent_id``, for its purpose."""
    disclosed = await api.ok(
        DISCLOSE,
        {
            "input": {
                "clientId": client_id,
                "recipient": CLINIC,
                "dataKinds": ["MEDICATION"],
                "description": "current orders, faxed",
                "consentId": consent_id,
            }
        },
        role=Role.PROGRAM_ADMIN,
    )
    return dict(disclosed["recordDisclosure"])


async def test_the_client_auditors_and_admins_read_the_accounting_others_are_refused(
    api: Api,
) -> None:
    client_id, other = await enroll(api, "Sam K."), await enroll(api, "Jo P.")
    consent_id, disclosed = await consent_and_disclosure(api, client_id)
    await api.join_care_team(client_id, Role.THERAPIST)
    await api.join_care_team(client_id, Role.PEER_SUPPORTER)
    asked = {"id": client_id, "atLeast": disclosed["position"]}

    own = await api.ok(DISCLOSURES, asked, role=Role.CLIENT, user=client_id)
    audited = await api.ok(DISCLOSURES, asked, role=Role.AUDITOR, user="auditor-1")
    managed = await api.ok(DISCLOSURES, asked, role=Role.PROGRAM_ADMIN)
    refused = {
        role: await refusal(api, DISCLOSURES, asked, role=role)
        for role in (Role.THERAPIST, Role.PEER_SUPPORTER, Role.PRESCRIBER)
    }
    theirs = await refusal(api, DISCLOSURES, asked, role=Role.CLIENT, user=other)
    none_yet = await api.ok(
        DISCLOSURES, {"id": client_id, "since": ahead(minutes=1)}, role=Role.CLIENT, user=client_id
    )

    [row] = own["disclosures"]
    assert row == row | {
        "disclosureId": disclosed["id"],
        "status": "SENT",
        "maybeSent": False,
        "recipientType": "organization",
        "recipientId": "clinic-north",
        "recipientName": "North Clinic",
        "purpose": "care coordination",
        "dataKinds": ["medication"],
        "description": "current orders, faxed",
        "consentId": consent_id,
        "breakGlassId": None,
        "eventCount": 0,
        "recordedBy": "program_admin-1",
        "withdrawnAt": None,
    }
    assert row["sentAt"] is not None
    assert audited["disclosures"] == managed["disclosures"] == own["disclosures"]
    assert all(
        (r["code"], r["field"], r["rule"]) == ("FORBIDDEN", "role", "role-may-read")
        for r in refused.values()
    ), refused
    assert (theirs["code"], theirs["rule"]) == ("FORBIDDEN", "own-record-only")
    assert none_yet["disclosures"] == []

    logged = [e for e in await access_log(api, client_id) if e["operation"] == "disclosures"]
    assert [(e["readerId"], e["outcome"], e["basis"], e["entriesReturned"]) for e in logged] == [
        (client_id, "GRANTED", "SELF", 1),
        ("auditor-1", "GRANTED", "AUDIT", 1),
        ("program_admin-1", "GRANTED", "PROGRAM", 1),
        ("therapist-1", "REFUSED", "NONE", 0),
        ("peer_supporter-1", "REFUSED", "NONE", 0),
        ("prescriber-1", "REFUSED", "NONE", 0),
        (other, "REFUSED", "NONE", 0),
        (client_id, "GRANTED", "SELF", 0),
    ]
    assert logged[0]["kindsReturned"] == ["consent"]
    assert [e["refusal"] for e in logged if e["outcome"] == "REFUSED"] == [
        *["role-may-read"] * 3,
        "own-record-only",
    ]


async def test_a_program_admin_reads_only_their_programs_accounting(api: Api) -> None:
    client_id = await enroll(api)  # into "OTP"
    _, disclosed = await consent_and_disclosure(api, client_id)
    asked = {"id": client_id, "atLeast": disclosed["position"]}

    mine = await api.ok(DISCLOSURES, asked, token=admin_of(api, "OTP"))
    refused = await refusal(api, DISCLOSURES, asked, token=admin_of(api, "South"))

    assert len(mine["disclosures"]) == 1
    assert (refused["field"], refused["rule"]) == ("clientId", "admin-program")


async def test_the_accounting_is_read_a_page_at_a_time(api: Api) -> None:
    client_id = await enroll(api)
    consent_id, first = await consent_and_disclosure(api, client_id)
    second = await disclose(api, client_id, consent_id)
    third = await disclose(api, client_id, consent_id)
    paged = """query($id: UUID!, $after: Seq!, $first: Int!, $atLeast: Seq) {
      disclosures(clientId: $id, after: $after, first: $first, atLeast: $atLeast) {
        disclosureId position } }"""
    asked = {"id": client_id, "atLeast": third["position"], "after": 0, "first": 2}

    page = (await api.ok(paged, asked, role=Role.AUDITOR))["disclosures"]
    rest = await api.ok(paged, asked | {"after": page[-1]["position"]}, role=Role.AUDITOR)
    too_many = await refusal(api, paged, asked | {"first": 100_000}, role=Role.AUDITOR)

    assert [d["disclosureId"] for d in page] == [first["id"], second["id"]]
    assert [d["disclosureId"] for d in rest["disclosures"]] == [third["id"]]
    assert (too_many["field"], too_many["rule"]) == ("first", "page-size")
